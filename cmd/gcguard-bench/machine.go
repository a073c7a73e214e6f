package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine is what the figures were measured on.
type machine struct {
	cpu, cores, memory, os, goVersion, load string
}

// sourceOf names the commit the figures are for, and says when the tree
// had changes on top of it.
func sourceOf(root string) string {
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	s := "commit " + strings.TrimSpace(string(head))
	if dirty, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(dirty) > 0 {
		s += " with uncommitted changes"
	}
	return s
}

func describeMachine() machine {
	m := machine{
		cpu:       firstValue("/proc/cpuinfo", "model name", ":"),
		cores:     fmt.Sprintf("%d logical (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		memory:    "unknown",
		goVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	m.load = loadAverage()
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(firstValue("/proc/meminfo", "MemTotal", ":"), " kB"), 64); err == nil {
		m.memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
	}
	osName := strings.Trim(firstValue("/etc/os-release", "PRETTY_NAME", "="), `"`)
	m.os = strings.TrimSpace(osName + ", Linux " + strings.TrimSpace(readOr("/proc/sys/kernel/osrelease", "?")))
	return m
}

// firstValue returns the value of the first "key<sep>value" line of a file.
func firstValue(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readOr(path, def string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	return string(b)
}

// loadAverage is the 1, 5 and 15 minute load averages.
func loadAverage() string {
	if f := strings.Fields(readOr("/proc/loadavg", "")); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
