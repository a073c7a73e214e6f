package main

import "context"

// section is one part of the report. Later work adds a section here (the
// bucket sweep, reconcile at scale) and nothing else changes.
type section struct {
	id    string // for -only
	title string
	about string // what is measured and how, one paragraph
	run   func(ctx context.Context, b *bench) (*outcome, error)
}

// scaleSection is `make bench-scale`'s one section: it takes longer than
// the rest together and writes its own file.
var scaleSection = section{id: "scale", title: "The sweep at scale, under IAM throttling", about: scaleAbout, run: runScale}

// sections lists the report's parts in the order they are written.
func sections() []section {
	return []section{
		{id: "handler", title: "Handler vs. bare SDK on moto (accesskey)", about: handlerAbout, run: runHandler},
		{id: "ownwork", title: "gcguard's own work per event (zero-latency fakes)", about: ownWorkAbout, run: runOwnWork},
		{id: "process", title: "The bootstrap process: cold start, size, memory", about: processAbout, run: runProcess},
		{id: "bucket", title: "Bucket reconcile vs. bare SDK on moto, and the bucket plan", about: bucketAbout, run: runBucket},
		{id: "policy", title: "Policy analysis throughput", about: policyAbout, run: runPolicy},
	}
}

// outcome is what a section measured.
type outcome struct {
	rows  []row
	notes []string // shown under the table
	quote string   // raw tool output, quoted verbatim
	// markdown is written as is, after the notes (tables of its own).
	markdown string
}

// row is one figure. Empty cells print as "–".
type row struct {
	figure  string
	n       int
	median  string
	p99     string
	result  string // the headline value checked against the target (a ratio, a size, a rate)
	target  string
	verdict verdict
}

type verdict int

const (
	noTarget verdict = iota
	met
	missed
)

func check(ok bool) verdict {
	if ok {
		return met
	}
	return missed
}

func (v verdict) String() string {
	switch v {
	case met:
		return "met"
	case missed:
		return "**missed**"
	}
	return "–"
}
