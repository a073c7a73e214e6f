package guardrail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/guardrail"
)

const fixtureDir = "../../events"

func readEvent(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// patternSample is a small event with the shapes patterns meet: nested objects,
// list-valued fields, booleans, numbers, null, and a field some events lack.
const patternSample = `{
  "source": "aws.s3",
  "detail-type": "AWS API Call via CloudTrail",
  "region": "ap-northeast-1",
  "resources": ["arn:aws:s3:::a", "arn:aws:s3:::b"],
  "detail": {
    "eventSource": "s3.amazonaws.com",
    "eventName": "PutBucketPublicAccessBlock",
    "eventVersion": 1.11,
    "responseElements": null,
    "userIdentity": {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"userName": "gcguard-bucket"}}},
    "requestParameters": {
      "Host": ["b.s3.ap-northeast-1.amazonaws.com"],
      "PublicAccessBlockConfiguration": {"BlockPublicAcls": false, "RestrictPublicBuckets": true}
    }
  }
}`

func TestPatternMatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		want    bool
	}{
		{"empty pattern matches everything", `{}`, true},
		{"value list, one matches", `{"source":["aws.iam","aws.s3"]}`, true},
		{"value list, none matches", `{"source":["aws.iam"]}`, false},
		{"values are case-sensitive", `{"source":["AWS.S3"]}`, false},
		{"every key must match", `{"source":["aws.s3"],"region":["us-east-1"]}`, false},
		{"nested objects", `{"detail":{"eventSource":["s3.amazonaws.com"],"eventName":["PutBucketPublicAccessBlock"]}}`, true},
		{"nested object, deeper miss", `{"detail":{"requestParameters":{"PublicAccessBlockConfiguration":{"BlockPublicAcls":[true]}}}}`, false},
		{"boolean value", `{"detail":{"requestParameters":{"PublicAccessBlockConfiguration":{"BlockPublicAcls":[false]}}}}`, true},
		{"boolean is not its string", `{"detail":{"requestParameters":{"PublicAccessBlockConfiguration":{"BlockPublicAcls":["false"]}}}}`, false},
		{"number value", `{"detail":{"eventVersion":[1.11]}}`, true},
		{"null value", `{"detail":{"responseElements":[null]}}`, true},
		{"null does not match a missing field", `{"detail":{"errorCode":[null]}}`, false},
		{"object pattern against a scalar field", `{"source":{"x":["y"]}}`, false},
		{"object pattern against a missing field", `{"detail":{"additionalEventData":{"x":["y"]}}}`, false},
		{"list-valued field, any element", `{"resources":["arn:aws:s3:::b"]}`, true},
		{"list-valued field, no element", `{"resources":["arn:aws:s3:::c"]}`, false},
		{"list-valued nested field", `{"detail":{"requestParameters":{"Host":["b.s3.ap-northeast-1.amazonaws.com"]}}}`, true},
		{"prefix", `{"detail":{"eventName":[{"prefix":"PutBucket"}]}}`, true},
		{"prefix miss", `{"detail":{"eventName":[{"prefix":"DeleteBucket"}]}}`, false},
		{"prefix on a list-valued field", `{"resources":[{"prefix":"arn:aws:s3:::"}]}`, true},
		{"prefix never matches a non-string", `{"detail":{"eventVersion":[{"prefix":"1"}]}}`, false},
		{"prefix or value", `{"detail":{"eventName":["CreateBucket",{"prefix":"PutBucketPublic"}]}}`, true},
		{"exists true, present", `{"detail":{"eventName":[{"exists":true}]}}`, true},
		{"exists true, absent", `{"detail":{"errorCode":[{"exists":true}]}}`, false},
		{"exists false, absent", `{"detail":{"errorCode":[{"exists":false}]}}`, true},
		{"exists false, present", `{"detail":{"eventName":[{"exists":false}]}}`, false},
		{"exists false under a missing parent", `{"detail":{"additionalEventData":{"omitted":[{"exists":false}]}}}`, false},
		{"anything-but a string, other value", `{"region":[{"anything-but":"us-east-1"}]}`, true},
		{"anything-but a string, same value", `{"region":[{"anything-but":"ap-northeast-1"}]}`, false},
		{"anything-but a list", `{"region":[{"anything-but":["ap-northeast-1","ap-northeast-3"]}]}`, false},
		{"anything-but never matches a missing field", `{"detail":{"errorCode":[{"anything-but":"AccessDenied"}]}}`, false},
		{"anything-but on a list-valued field", `{"resources":[{"anything-but":"arn:aws:s3:::a"}]}`, true},
		{"$or, one branch", `{"detail":{"$or":[{"errorCode":[{"exists":true}]},{"eventName":["PutBucketPublicAccessBlock"]}]}}`, true},
		{"$or, no branch", `{"detail":{"$or":[{"errorCode":[{"exists":true}]},{"eventName":["CreateBucket"]}]}}`, false},
		{"$or with the rest of the object", `{"detail":{"eventSource":["iam.amazonaws.com"],"$or":[{"eventName":["PutBucketPublicAccessBlock"]}]}}`, false},
		{"$or on missing-or-other (the exists/anything-but idiom)",
			`{"detail":{"$or":[{"userIdentity":{"invokedBy":[{"exists":false}]}},{"userIdentity":{"invokedBy":[{"anything-but":"cloudformation.amazonaws.com"}]}}]}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPattern(t, tc.pattern)
			got, err := p.Match([]byte(patternSample))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPatternMatchErrors(t *testing.T) {
	for _, tc := range []struct{ name, pattern, says string }{
		{"unsupported operator", `{"detail":{"eventName":[{"suffix":"Block"}]}}`, `"suffix" is not supported`},
		{"numeric", `{"detail":{"eventVersion":[{"numeric":[">",1]}]}}`, `"numeric" is not supported`},
		{"wildcard", `{"detail":{"eventName":[{"wildcard":"Put*"}]}}`, `"wildcard" is not supported`},
		{"two operators in one rule", `{"region":[{"prefix":"ap-","anything-but":"ap-northeast-3"}]}`, "one operator"},
		{"empty rule", `{"region":[{}]}`, "one operator"},
		{"prefix of a number", `{"region":[{"prefix":1}]}`, "prefix"},
		{"anything-but with an operator inside", `{"region":[{"anything-but":{"prefix":"us-"}}]}`, "anything-but"},
		{"scalar where a list belongs", `{"source":"aws.s3"}`, "want an object or a list"},
		{"$or not a list of objects", `{"detail":{"$or":["x"]}}`, "$or"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustPattern(t, tc.pattern).Match([]byte(patternSample))
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want one containing %q", err, tc.says)
			}
		})
	}
	for _, raw := range []string{``, `[]`, `"x"`, `{"source":`} {
		if _, err := (guardrail.Pattern{}).Match([]byte(raw)); err == nil {
			t.Errorf("Match(%q) accepted a non-object event", raw)
		}
	}
}

// Fixtures match the patterns they should, byte for byte as EventBridge
// delivers them.
func TestPatternMatchFixtures(t *testing.T) {
	pat := mustPattern(t, `{"source":["aws.s3"],"detail":{"requestParameters":{"Host":[{"prefix":"city-records-prod."}]}}}`)
	for rel, want := range map[string]bool{
		"s3/put-bucket-policy-list-host.json": true, // Host is a list there
		"s3/put-bucket-policy-public.json":    true,
		"s3/put-bucket-policy-omitted.json":   false,
		"iam/create-user.json":                false,
	} {
		got, err := pat.Match(readEvent(t, rel))
		if err != nil || got != want {
			t.Errorf("%s: Match = %v, %v; want %v", rel, got, err, want)
		}
	}
	notFailed := mustPattern(t, `{"detail":{"errorCode":[{"exists":false}]}}`)
	if m, _ := notFailed.Match(readEvent(t, "iam/create-access-key-failed.json")); m {
		t.Errorf("errorCode exists:false matched a failed call")
	}
	if m, _ := notFailed.Match(readEvent(t, "iam/create-access-key.json")); !m {
		t.Errorf("errorCode exists:false missed a successful call")
	}
}

func TestPatternJSON(t *testing.T) {
	p := guardrail.Pattern{"source": []any{"aws.iam"}, "detail": map[string]any{"eventName": []any{map[string]any{"prefix": "Create"}}}}
	if got, want := p.JSON(), `{"detail":{"eventName":[{"prefix":"Create"}]},"source":["aws.iam"]}`; got != want {
		t.Errorf("JSON() = %s, want %s", got, want)
	}
}
