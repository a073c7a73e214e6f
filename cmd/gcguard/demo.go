package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// demo is the shared state of the demo's scenes.
type demo struct {
	out      io.Writer
	endpoint string
	sb       *sandbox.Sandbox
	binDir   string
	tmp      string
	events   string // the events/ directory
	// verbose prints every audit record and notice in full; otherwise a
	// scene stays within about 40 lines.
	verbose bool
	started time.Time
	// done is one summary line per thing gcguard did, for the closing table.
	done []demoResult
}

// demoResult is one line of the closing table.
type demoResult struct {
	scene, wrong, did, auditID, revert string
}

// scene is one part of the demo; each rule adds its own.
type scene struct {
	title string
	run   func(ctx context.Context, d *demo) error
}

func scenes() []scene {
	return []scene{
		{"accesskey: a new access key is deleted seconds after it is created", accessKeyScene},
		{"roletrust: roles anyone or the whole account may assume are tightened, and one is reverted", trustScene},
		{"bucket: an SSE-S3 bucket with a public-read policy and Block Public Access off is fixed, the owner's statement kept", bucketScene},
		{"scan: violations whose events never arrived are assessed without changing anything", scanScene},
	}
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	endpoint := fs.String("endpoint", "", "use this moto (or AWS-compatible) endpoint instead of starting moto")
	binDir := fs.String("bin-dir", "", "directory with prebuilt amd64 functions (<dir>/<function>/bootstrap); default: build them")
	verbose := fs.Bool("verbose", false, "print every audit record and notice in full")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	root, err := testkit.RepoRoot()
	if err != nil {
		return fmt.Errorf("run the demo from the gcguard source tree: %w", err)
	}
	ep := *endpoint
	if ep == "" {
		fmt.Fprintln(stdout, "starting a local moto (stands in for AWS) ...")
		m, err := testkit.StartMoto(ctx)
		if err != nil {
			return err
		}
		defer m.Stop()
		ep = m.Endpoint()
	}
	awsCfg, err := testkit.ClientConfig(ctx, ep, testkit.Region)
	if err != nil {
		return err
	}
	sb, err := sandbox.New(ctx, awsCfg, testkit.ClientEnv(ep, testkit.Region))
	if err != nil {
		return fmt.Errorf("prepare the local account at %s: %w", ep, err)
	}
	tmp, err := os.MkdirTemp("", "gcguard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	d := &demo{out: stdout, endpoint: ep, sb: sb, binDir: *binDir, tmp: tmp, events: filepath.Join(root, "events"), verbose: *verbose, started: time.Now()}
	fmt.Fprintf(stdout, "endpoint %s, account %s, audit table %s, topic %s\n", ep, sb.Config.Account, sb.Config.AuditTable, sb.Config.TopicARN)
	var failed []string
	for i, s := range scenes() {
		fmt.Fprintf(stdout, "\n=== scene %d: %s ===\n", i+1, s.title)
		start := time.Now()
		if err := s.run(ctx, d); err != nil {
			fmt.Fprintf(stdout, "FAILED: %v\n", err)
			failed = append(failed, s.title)
			continue
		}
		fmt.Fprintf(stdout, "OK (%s)\n", time.Since(start).Round(100*time.Millisecond))
	}
	d.printSummary()
	if len(failed) > 0 {
		return fmt.Errorf("%d scene(s) did not happen: %s", len(failed), strings.Join(failed, "; "))
	}
	fmt.Fprintln(stdout, "\nevery scene happened as described.")
	if !d.verbose {
		fmt.Fprintln(stdout, "gcguard demo --verbose (make demo VERBOSE=1) prints every audit record and notice in full.")
	}
	return nil
}

// printSummary is the closing table: what each scene found and did, and
// how to undo it.
func (d *demo) printSummary() {
	fmt.Fprintln(d.out, "\n=== summary ===")
	tw := tabwriter.NewWriter(d.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENE\tWHAT WAS WRONG\tWHAT GCGUARD DID\tAUDIT ID\tREVERT")
	for _, r := range d.done {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.scene, r.wrong, r.did, orDash(r.auditID), orDash(r.revert))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// function starts a rule's real bootstrap behind the local Lambda Runtime API.
func (d *demo) function(ctx context.Context, name string) (*testkit.Function, error) {
	bin := ""
	if d.binDir != "" {
		bin = filepath.Join(d.binDir, name, "bootstrap")
	} else {
		fmt.Fprintf(d.out, "building functions/%s (linux/amd64) ...\n", name)
		var err error
		bin, err = testkit.BuildBootstrap("github.com/gcguard/gcguard/functions/"+name, filepath.Join(d.tmp, name))
		if err != nil {
			return nil, err
		}
	}
	f, err := testkit.StartFunction(ctx, bin, d.sb.Env())
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(d.out, "function %s started as a real bootstrap process (cold start %s)\n", name, f.ColdStart().Round(time.Millisecond))
	return f, nil
}

// event reads a fixture and replaces placeholder values with live ones.
func (d *demo) event(path string, replace map[string]string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(d.events, path))
	if err != nil {
		return nil, err
	}
	s := string(raw)
	for k, v := range replace {
		s = strings.ReplaceAll(s, k, v)
	}
	// The call happens now: the event's time and the audit record's agree.
	now := time.Now().UTC().Format(time.RFC3339)
	s = fixtureTime.ReplaceAllString(s, `"${1}": "`+now+`"`)
	return []byte(s), nil
}

var fixtureTime = regexp.MustCompile(`"(time|eventTime)":\s*"[0-9T:.Z+-]+"`)

// showRecords prints a resource's audit records and the notices sent: in
// full with --verbose, otherwise the history lines and the start of the
// Japanese notice. It returns the newest record and its notice.
func (d *demo) showRecords(ctx context.Context, resource string, wantNotices int) (*audit.Record, *notify.Notice, error) {
	recs, err := d.sb.Store.History(ctx, resource, 0)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(d.out, "audit trail (gcguard history --resource "+resource+"):")
	printRecords(d.out, recs)
	if len(recs) > 0 {
		r := recs[0]
		fmt.Fprintf(d.out, "  event time %s, recorded %s (%s later)\n", r.EventTime.UTC().Format(time.RFC3339), r.Created.UTC().Format(time.RFC3339Nano),
			r.Created.Sub(r.EventTime).Round(time.Millisecond))
		if d.verbose {
			b, _ := json.MarshalIndent(r, "  ", "  ")
			fmt.Fprintf(d.out, "  newest record:\n  %s\n", b)
		}
	}
	ns, err := d.sb.WaitNotices(ctx, wantNotices, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range ns {
		if d.verbose {
			fmt.Fprintf(d.out, "\nnotice (e-mail, Japanese):\n%s\nnotice (e-mail, English):\n%s", indent(notify.Text(&n, "ja")), indent(notify.Text(&n, "en")))
			continue
		}
		fmt.Fprintf(d.out, "notice (e-mail, Japanese; first lines):\n%s", indent(headLines(notify.Text(&n, "ja"), 4)))
	}
	if len(ns) < wantNotices {
		return nil, nil, fmt.Errorf("want %d notice(s) on the topic, got %d", wantNotices, len(ns))
	}
	if len(recs) == 0 {
		return nil, nil, errors.New("no audit record")
	}
	var last *notify.Notice
	if len(ns) > 0 {
		last = &ns[len(ns)-1]
	}
	return recs[0], last, nil
}

// headLines keeps the first n non-empty lines of s.
func headLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(out) == n {
			out = append(out, "…")
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// record adds a line to the closing table from an audit record.
func (d *demo) record(scene, wrong, did string, rec *audit.Record, n *notify.Notice) {
	r := demoResult{scene: scene, wrong: wrong, did: did}
	if rec != nil {
		r.auditID = rec.ID
		r.revert = "gcguard revert " + rec.ID
	}
	if n != nil {
		// The notice knows what can be undone (a deleted key cannot).
		r.revert = n.RevertCommand
		if r.revert == "" {
			r.revert = "cannot be undone"
		}
	}
	d.done = append(d.done, r)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

func accessKeyScene(ctx context.Context, d *demo) error {
	im := iam.NewFromConfig(d.sb.AWS)
	user := "alice"
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		return err
	}
	var keys []string
	for range 2 {
		k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		if err != nil {
			return err
		}
		keys = append(keys, aws.ToString(k.AccessKey.AccessKeyId))
	}
	fmt.Fprintf(d.out, "IAM user %s has two access keys: %s (the new one) and %s\n", user, keys[0], keys[1])
	before, err := listKeys(ctx, im, user)
	if err != nil {
		return err
	}
	f, err := d.function(ctx, "accesskey")
	if err != nil {
		return err
	}
	defer f.Stop()
	ev, err := d.event("iam/create-access-key.json", map[string]string{"AKIAEXAMPLEKEY000001": keys[0]})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "delivering the CreateAccessKey event for %s (by SSO user taro.yamada@lg.id.cloud.go.jp) ...\n", keys[0])
	if _, err := f.Invoke(ctx, ev); err != nil {
		return fmt.Errorf("function: %w", err)
	}
	after, err := listKeys(ctx, im, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "before: %s\nafter:  %s\n", before, after)
	if strings.Contains(after, keys[0]) {
		return fmt.Errorf("key %s is still there", keys[0])
	}
	if !strings.Contains(after, keys[1]) {
		return fmt.Errorf("the other key %s was touched", keys[1])
	}
	rec, n, err := d.showRecords(ctx, "arn:aws:iam::"+sandbox.Account+":user/"+user, 1)
	if err != nil {
		return err
	}
	d.record("accesskey", "new key of alice", "deleted that key only", rec, n)
	return nil
}

func listKeys(ctx context.Context, im *iam.Client, user string) (string, error) {
	out, err := im.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return "", err
	}
	var s []string
	for _, k := range out.AccessKeyMetadata {
		s = append(s, aws.ToString(k.AccessKeyId)+" ("+string(k.Status)+")")
	}
	if len(s) == 0 {
		return "(no keys)", nil
	}
	return strings.Join(s, ", "), nil
}
