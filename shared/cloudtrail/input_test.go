package cloudtrail_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
)

// Every fixture's record, given as the console shows it, as a log file and
// as lookup-events output, decodes to the same event as its envelope.
func TestNormalizeConsoleShapes(t *testing.T) {
	var files []string
	for _, dir := range []string{"iam", "s3"} {
		m, err := filepath.Glob(filepath.Join(eventsDir, dir, "*.json"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no fixtures in %s: %v", dir, err)
		}
		files = append(files, m...)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cloudtrail.Decode(raw)
			if err != nil {
				t.Skipf("not a valid envelope: %v", err)
			}
			var env struct {
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatal(err)
			}
			lookup, _ := json.Marshal(map[string]any{"Events": []any{map[string]any{"EventId": want.ID, "CloudTrailEvent": string(env.Detail)}}})
			shapes := map[string][]byte{
				"envelope":      raw,
				"record":        env.Detail,
				"records file":  []byte(`{"Records":[` + string(env.Detail) + `]}`),
				"lookup-events": lookup,
				"with BOM":      append([]byte("\xef\xbb\xbf"), env.Detail...),
			}
			for name, in := range shapes {
				got, err := cloudtrail.DecodeInput(in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				// The envelope may carry resources and a region of its own;
				// what the rules read must match.
				if name == "envelope" {
					continue
				}
				// A record has no EventBridge id: the envelope takes the record's.
				if got.ID != want.Detail.EventID || got.Source != want.Source || got.Account != want.Account ||
					got.Region != want.Detail.AWSRegion || !got.Time.Equal(want.Detail.EventTime) ||
					!reflect.DeepEqual(got.Detail.UserIdentity, want.Detail.UserIdentity) ||
					got.Detail.EventName != want.Detail.EventName ||
					compact(t, got.Detail.RequestParameters) != compact(t, want.Detail.RequestParameters) {
					t.Errorf("%s: decoded id %s source %s account %s region %s time %s event %s", name, got.ID, got.Source, got.Account, got.Region, got.Time, got.Detail.EventName)
				}
			}
		})
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) == 0 {
		return ""
	}
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestNormalizeRejects(t *testing.T) {
	two := `{"Records":[{"eventID":"a","eventName":"CreateRole","eventSource":"iam.amazonaws.com"},{"eventID":"b","eventName":"CreateUser","eventSource":"iam.amazonaws.com"}]}`
	for name, c := range map[string]struct{ in, says string }{
		"two records": {two, "holds 2 records (CreateRole a, CreateUser b)"},
		"no records":  {`{"Records":[]}`, "Records is empty"},
		"not JSON":    {`eventName: CreateRole`, "not a JSON object"},
		"other JSON":  {`{"hello":"world"}`, "neither an EventBridge event"},
		"array":       {`[1]`, "not a JSON object"},
	} {
		_, err := cloudtrail.DecodeInput([]byte(c.in))
		var me *cloudtrail.MalformedError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want a MalformedError saying %q", name, err, c.says)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"CreateRole","eventSource":"iam.amazonaws.com"}]}`))
	f.Add([]byte(`{"CloudTrailEvent":"{\"eventName\":\"x\"}"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = cloudtrail.DecodeInput(raw) // must not panic
	})
}
