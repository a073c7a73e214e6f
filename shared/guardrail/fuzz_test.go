package guardrail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// eventFixtures are every event under events/, the seeds of the fuzz
// targets that take an event.
func eventFixtures(f *testing.F) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no event fixtures under %s: %v", fixtureDir, err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzPatternMatch: any pattern and any event give an answer or an error,
// never a panic, and the same answer after the pattern's round trip through
// the JSON EventBridge is given.
func FuzzPatternMatch(f *testing.F) {
	patterns := []string{
		`{"source":["aws.s3"],"detail":{"eventName":["PutBucketPublicAccessBlock"]}}`,
		`{"detail":{"eventName":[{"prefix":"Put"}],"errorCode":[{"exists":false}]}}`,
		`{"detail":{"userIdentity":{"type":[{"anything-but":["AWSService"]}]}}}`,
		`{"$or":[{"source":["aws.iam"]},{"detail":{"eventSource":["s3.amazonaws.com"]}}]}`,
		`{"resources":["arn:aws:s3:::a"],"detail":{"eventVersion":[1.11],"responseElements":[null]}}`,
		`{"detail":{"requestParameters":{"PublicAccessBlockConfiguration":{"BlockPublicAcls":[false]}}}}`,
		`{"detail":{"eventName":[{"numeric":[">",0]}]}}`,
	}
	for i, ev := range eventFixtures(f) {
		f.Add([]byte(patterns[i%len(patterns)]), ev)
	}
	f.Add([]byte(patterns[0]), []byte(patternSample))
	f.Fuzz(func(t *testing.T, rawPattern, event []byte) {
		var p guardrail.Pattern
		if json.Unmarshal(rawPattern, &p) != nil || p == nil {
			return
		}
		ok, err := p.Match(event)
		var again guardrail.Pattern
		if err := json.Unmarshal([]byte(p.JSON()), &again); err != nil {
			t.Fatalf("the pattern's JSON does not decode: %v\n%s", err, p.JSON())
		}
		ok2, err2 := again.Match(event)
		if ok != ok2 || (err == nil) != (err2 == nil) {
			t.Fatalf("match %v/%v, after the JSON round trip %v/%v", ok, err, ok2, err2)
		}
	})
}

// ruleless is an engine with no rules: what it does with an input is
// decode it and say no rule handles it.
func ruleless() *guardrail.Engine {
	return &guardrail.Engine{Config: &config.Config{Account: "123456789012", Partition: "aws"}, Logger: slog.New(slog.DiscardHandler)}
}

// FuzzHandle: whatever the function is invoked with, Handle ends quietly
// (malformed input is logged and skipped, not retried) and never panics.
func FuzzHandle(f *testing.F) {
	for _, ev := range eventFixtures(f) {
		f.Add(ev)
	}
	f.Add([]byte(`{"awslogs":{"data":"H4sIAAAAAAAA/wMAAAAAAAAAAAA="}}`))
	f.Add([]byte(`{"awslogs":{"data":"bm90IGd6aXA="}}`))
	f.Add([]byte(`{"awslogs":null,"detail":{}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := ruleless().Handle(context.Background(), raw); err != nil {
			t.Fatalf("Handle returned %v for %q", err, raw)
		}
	})
}

// FuzzHandleLogs fuzzes the inside of a CloudWatch Logs delivery (gzip is
// applied here, so the fuzzer works on the JSON the subscription carries).
func FuzzHandleLogs(f *testing.F) {
	for _, ev := range eventFixtures(f) {
		var env struct {
			Detail json.RawMessage `json:"detail"`
		}
		_ = json.Unmarshal(ev, &env)
		data, _ := json.Marshal(map[string]any{"messageType": "DATA_MESSAGE", "owner": "123456789012",
			"logEvents": []map[string]string{{"id": "1", "message": string(env.Detail)}, {"id": "2", "message": "not json"}}})
		f.Add(data)
	}
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"1","message":"CWL CONTROL MESSAGE"}]}`))
	f.Add([]byte(`{"logEvents":[{"message":"{}"},{"message":"{\"eventName\":1}"},{"message":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(data)
		_ = zw.Close()
		payload, _ := json.Marshal(map[string]any{"awslogs": map[string]any{"data": gz.Bytes()}})
		if err := ruleless().Handle(context.Background(), payload); err != nil {
			t.Fatalf("Handle returned %v for the delivery %q", err, data)
		}
	})
}

// Found by FuzzPatternMatch: with an unsupported operator under one key and
// a field that fails another, the answer was an error or a silent false
// depending on which key Go's map order visited first.
func TestPatternErrorsWhateverTheKeyOrder(t *testing.T) {
	p := guardrail.Pattern{}
	if err := json.Unmarshal([]byte(`{"detail":{"eventName":[{"prefwx":"Put"}],"errorCode":[{"exists":false}]}}`), &p); err != nil {
		t.Fatal(err)
	}
	ev := []byte(`{"detail":{"eventName":"PutBucketPolicy","errorCode":"AccessDenied"}}`)
	for range 50 {
		if _, err := p.Match(ev); err == nil {
			t.Fatal("an unsupported operator matched without an error")
		}
	}
	for _, bad := range []string{`{"a":[{"exists":"yes"}]}`, `{"a":[{"exists":true,"prefix":"x"}]}`, `{"a":[["nested"]]}`, `{"$or":[{"a":[{"nope":1}]}],"b":["x"]}`} {
		var q guardrail.Pattern
		if err := json.Unmarshal([]byte(bad), &q); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Match([]byte(`{"b":"y"}`)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
