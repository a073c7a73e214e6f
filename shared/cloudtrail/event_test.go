package cloudtrail_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
)

// eventsDir is the repo's fixture tree, relative to this package.
const eventsDir = "../../events"

const (
	account  = "123456789012"
	ssoRole  = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AWSAdministratorAccess_0123456789abcdef"
	ssoEmail = "taro.yamada@lg.id.cloud.go.jp"
	ownRole  = "arn:aws:iam::123456789012:role/gcguard-accesskey"
)

// fixture is what every CloudTrail fixture must decode to.
type fixture struct {
	name      string
	source    string
	region    string
	failed    bool
	readOnly  bool
	omitted   bool
	actorKind string
	actorName string
	email     string
	actorARN  string
}

var sso = fixture{actorKind: cloudtrail.ActorSSOUser, actorName: ssoEmail, email: ssoEmail, actorARN: ssoRole}

func iamFx(name string, f fixture) fixture {
	f.name, f.source, f.region = name, "aws.iam", "us-east-1"
	return f
}

func s3Fx(name, region string, f fixture) fixture {
	f.name, f.source, f.region = name, "aws.s3", region
	return f
}

// fixtures lists every CloudTrail fixture under events/ (outside
// malformed/ and scheduled/). A fixture missing here fails the walk.
var fixtures = map[string]fixture{
	"iam/create-access-key.json": iamFx("CreateAccessKey", sso),
	"iam/create-access-key-console.json": iamFx("CreateAccessKey", fixture{actorKind: cloudtrail.ActorIAMUser,
		actorName: "console-admin", actorARN: "arn:aws:iam::123456789012:user/console-admin"}),
	"iam/create-access-key-failed.json": iamFx("CreateAccessKey", fixture{failed: true, actorKind: sso.actorKind,
		actorName: sso.actorName, email: sso.email, actorARN: sso.actorARN}),
	"iam/create-access-key-root.json": iamFx("CreateAccessKey", fixture{actorKind: cloudtrail.ActorRoot,
		actorName: "root", actorARN: "arn:aws:iam::123456789012:root"}),
	"iam/create-access-key-self-caused.json": iamFx("CreateAccessKey", fixture{actorKind: cloudtrail.ActorRole,
		actorName: "gcguard-accesskey/1f2e3d4c5b6a", actorARN: ownRole}),
	"iam/create-access-key-self.json": iamFx("CreateAccessKey", fixture{actorKind: cloudtrail.ActorIAMUser,
		actorName: "bob", actorARN: "arn:aws:iam::123456789012:user/bob"}),
	"iam/create-access-key-session-named-gcguard.json": iamFx("CreateAccessKey", fixture{actorKind: cloudtrail.ActorRole,
		actorName: "vendor-deployer/gcguard-accesskey", actorARN: "arn:aws:iam::123456789012:role/vendor-deployer"}),
	"iam/create-login-profile.json": iamFx("CreateLoginProfile", sso),
	"iam/create-role.json":          iamFx("CreateRole", sso),
	"iam/create-user.json":          iamFx("CreateUser", sso),
	"iam/list-access-keys-readonly.json": iamFx("ListAccessKeys", fixture{readOnly: true, actorKind: sso.actorKind,
		actorName: sso.actorName, email: sso.email, actorARN: sso.actorARN}),
	"iam/tag-role-canary.json": iamFx("TagRole", fixture{actorKind: cloudtrail.ActorRole,
		actorName: "gcguard-canary/canary", actorARN: "arn:aws:iam::123456789012:role/gcguard-canary"}),
	"iam/update-access-key-active.json":                 iamFx("UpdateAccessKey", sso),
	"iam/update-access-key-inactive.json":               iamFx("UpdateAccessKey", sso),
	"iam/update-assume-role-policy.json":                iamFx("UpdateAssumeRolePolicy", sso),
	"iam/create-role-public.json":                       iamFx("CreateRole", sso),
	"iam/create-role-github-aud-only.json":              iamFx("CreateRole", sso),
	"iam/create-role-switch-only.json":                  iamFx("CreateRole", sso),
	"iam/update-assume-role-policy-foreign.json":        iamFx("UpdateAssumeRolePolicy", sso),
	"iam/update-assume-role-policy-service-linked.json": iamFx("UpdateAssumeRolePolicy", sso),
	"iam/create-role-omitted.json": iamFx("CreateRole", fixture{omitted: true, actorKind: sso.actorKind,
		actorName: sso.actorName, email: sso.email, actorARN: sso.actorARN}),

	"s3/create-bucket.json":                      s3Fx("CreateBucket", "ap-northeast-1", sso),
	"s3/create-bucket-osaka.json":                s3Fx("CreateBucket", "ap-northeast-3", sso),
	"s3/delete-account-public-access-block.json": s3Fx("DeleteAccountPublicAccessBlock", "us-east-1", sso),
	"s3/delete-bucket-encryption.json":           s3Fx("DeleteBucketEncryption", "ap-northeast-1", sso),
	"s3/delete-bucket-ownership-controls.json":   s3Fx("DeleteBucketOwnershipControls", "ap-northeast-1", sso),
	"s3/delete-bucket-policy.json":               s3Fx("DeleteBucketPolicy", "ap-northeast-1", sso),
	"s3/delete-bucket-public-access-block.json":  s3Fx("DeleteBucketPublicAccessBlock", "ap-northeast-1", sso),
	"s3/put-account-public-access-block.json":    s3Fx("PutAccountPublicAccessBlock", "us-east-1", sso),
	"s3/put-bucket-acl-public.json":              s3Fx("PutBucketAcl", "ap-northeast-1", sso),
	"s3/put-bucket-encryption-aes256.json":       s3Fx("PutBucketEncryption", "ap-northeast-1", sso),
	"s3/put-bucket-encryption-rule-list.json":    s3Fx("PutBucketEncryption", "ap-northeast-1", sso),
	"s3/put-bucket-encryption-dsse.json":         s3Fx("PutBucketEncryption", "ap-northeast-1", sso),
	"s3/put-bucket-ownership-controls.json":      s3Fx("PutBucketOwnershipControls", "ap-northeast-1", sso),
	"s3/put-bucket-policy-list-host.json":        s3Fx("PutBucketPolicy", "ap-northeast-1", sso),
	"s3/put-bucket-policy-public.json":           s3Fx("PutBucketPolicy", "ap-northeast-1", sso),
	"s3/put-bucket-public-access-block-off.json": s3Fx("PutBucketPublicAccessBlock", "ap-northeast-1", sso),
	"s3/get-bucket-policy-readonly.json": s3Fx("GetBucketPolicy", "ap-northeast-1", fixture{readOnly: true,
		actorKind: sso.actorKind, actorName: sso.actorName, email: sso.email, actorARN: sso.actorARN}),
	"s3/put-bucket-policy-omitted.json": s3Fx("PutBucketPolicy", "ap-northeast-1", fixture{omitted: true,
		actorKind: sso.actorKind, actorName: sso.actorName, email: sso.email, actorARN: sso.actorARN}),
	"s3/put-bucket-tagging-canary-osaka.json": s3Fx("PutBucketTagging", "ap-northeast-3", sso),

	// Self-protection: a gcguard role handed to something else.
	"iam/add-role-to-instance-profile-gcguard.json":          iamFx("AddRoleToInstanceProfile", sso),
	"ecs/register-task-definition-gcguard-role.json":         otherFx("RegisterTaskDefinition", "aws.ecs", "ap-northeast-1"),
	"lambda/create-function-gcguard-role.json":               otherFx("CreateFunction20150331", "aws.lambda", "ap-northeast-3"),
	"lambda/update-function-configuration-gcguard-role.json": otherFx("UpdateFunctionConfiguration20150331v2", "aws.lambda", "ap-northeast-1"),
}

func otherFx(name, source, region string) fixture {
	f := sso
	f.name, f.source, f.region = name, source, region
	return f
}

// notCloudTrail are fixtures that are valid events but not CloudTrail API
// calls: Decode refuses them as it refuses malformed ones.
func notCloudTrail(rel string) bool {
	return strings.HasPrefix(rel, "malformed/") || strings.HasPrefix(rel, "scheduled/")
}

// allFixtures walks events/ and returns every JSON file, relative to it.
func allFixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(eventsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(eventsDir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", eventsDir, err)
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures under %s", eventsDir)
	}
	return out
}

func read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t testing.TB, rel string) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.Decode(read(t, rel))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return ev
}

// envelopeID is the envelope's "id" as written in the file, read without a
// JSON parser so that truncated files still name theirs.
func envelopeID(raw []byte) string {
	s := string(raw)
	i := strings.Index(s, `"id":`)
	if i < 0 {
		return ""
	}
	s = strings.TrimLeft(s[i+len(`"id":`):], " ")
	if !strings.HasPrefix(s, `"`) {
		return ""
	}
	s = s[1:]
	if j := strings.IndexByte(s, '"'); j >= 0 {
		return s[:j]
	}
	return ""
}

func TestDecodeEveryFixture(t *testing.T) {
	seen := map[string]bool{}
	for _, rel := range allFixtures(t) {
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			raw := read(t, rel)
			ev, err := cloudtrail.Decode(raw)
			if notCloudTrail(rel) {
				var me *cloudtrail.MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("want *MalformedError, got %v (event %+v)", err, ev)
				}
				if id := envelopeID(raw); me.EventID != id {
					t.Errorf("error names event %q, want %q: %v", me.EventID, id, err)
				}
				if id := envelopeID(raw); id != "" && !strings.Contains(err.Error(), id) {
					t.Errorf("error text %q does not name the event id %s", err, id)
				}
				return
			}
			want, ok := fixtures[rel]
			if !ok {
				t.Fatalf("fixture %s has no entry in the fixtures table", rel)
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Detail.EventName != want.name || ev.Source != want.source || ev.Region != want.region || ev.Account != account {
				t.Errorf("decoded %s %s %s %s, want %s %s %s %s", ev.Detail.EventName, ev.Source, ev.Region, ev.Account,
					want.name, want.source, want.region, account)
			}
			if ev.ID == "" || ev.Detail.EventID == "" || ev.Time.IsZero() || ev.Detail.EventTime.IsZero() {
				t.Errorf("ids or times missing: %+v", ev)
			}
			if got := ev.Failed(); got != want.failed {
				t.Errorf("Failed() = %v, want %v", got, want.failed)
			}
			if got := ev.ReadOnly(); got != want.readOnly {
				t.Errorf("ReadOnly() = %v, want %v", got, want.readOnly)
			}
			if got := ev.ParamsOmitted(); got != want.omitted {
				t.Errorf("ParamsOmitted() = %v, want %v", got, want.omitted)
			}
			a := ev.Actor()
			if a.Kind != want.actorKind || a.Name != want.actorName || a.Email != want.email || a.ARN != want.actorARN || a.Account != account {
				t.Errorf("Actor() = %+v, want kind %s name %s email %q arn %s", a, want.actorKind, want.actorName, want.email, want.actorARN)
			}
		})
	}
	for rel := range fixtures {
		if !seen[rel] {
			t.Errorf("table names %s, which is not under %s", rel, eventsDir)
		}
	}
}

func TestParamAndResponse(t *testing.T) {
	for _, tc := range []struct {
		fixture, path string
		response      bool
		want          string
	}{
		// A user creating their own key sends no userName: the response names them.
		{"iam/create-access-key-self.json", "userName", false, ""},
		{"iam/create-access-key-self.json", "accessKey.userName", true, "bob"},
		{"iam/create-access-key-self.json", "accessKey.accessKeyId", true, "AKIAEXAMPLEKEY000002"},
		{"iam/create-access-key.json", "userName", false, "alice"},
		{"iam/create-access-key.json", "accessKey.accessKeyId", true, "AKIAEXAMPLEKEY000001"},
		{"iam/create-access-key.json", "accessKey.missing", true, ""},
		{"iam/create-access-key.json", "accessKey.userName.deeper", true, ""},
		{"iam/create-access-key-failed.json", "accessKey.accessKeyId", true, ""},
		{"iam/create-access-key-root.json", "userName", false, ""},
		{"iam/create-access-key-root.json", "accessKey.accessKeyId", true, "AKIAEXAMPLEROOTKEY01"},
		{"iam/update-access-key-active.json", "status", false, "Active"},
		{"iam/create-role.json", "roleName", false, "app-deploy"},
		{"iam/create-role.json", "role.arn", true, "arn:aws:iam::123456789012:role/app-deploy"},
		{"iam/create-login-profile.json", "passwordResetRequired", false, "true"},
		{"s3/put-bucket-public-access-block-off.json", "PublicAccessBlockConfiguration.BlockPublicAcls", false, "false"},
		{"s3/put-bucket-encryption-aes256.json", "ServerSideEncryptionConfiguration.Rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm", false, "AES256"},
		{"s3/put-bucket-encryption-rule-list.json", "ServerSideEncryptionConfiguration.Rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm", false, ""},
		{"s3/put-bucket-ownership-controls.json", "OwnershipControls.Rule.ObjectOwnership", false, "ObjectWriter"},
		{"s3/create-bucket-osaka.json", "CreateBucketConfiguration.LocationConstraint", false, "ap-northeast-3"},
		{"s3/put-bucket-policy-omitted.json", "bucketName", false, ""},
		{"s3/delete-bucket-policy.json", "", false, ""},
	} {
		t.Run(tc.fixture+"/"+tc.path, func(t *testing.T) {
			ev := decode(t, tc.fixture)
			got := ev.Param(tc.path)
			if tc.response {
				got = ev.Response(tc.path)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Trust policies arrive as JSON strings; the S3 bucket policy as an object.
func TestPolicyParameters(t *testing.T) {
	for _, tc := range []struct{ fixture, path string }{
		{"iam/create-role.json", "assumeRolePolicyDocument"},
		{"iam/update-assume-role-policy.json", "policyDocument"},
		{"s3/put-bucket-policy-public.json", "bucketPolicy"},
		{"s3/put-bucket-policy-list-host.json", "bucketPolicy"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			ev := decode(t, tc.fixture)
			var doc struct {
				Version   string
				Statement []struct {
					Effect    string
					Principal any
				}
			}
			if err := json.Unmarshal([]byte(ev.Param(tc.path)), &doc); err != nil {
				t.Fatalf("%s is not a policy document: %v (%q)", tc.path, err, ev.Param(tc.path))
			}
			if doc.Version != "2012-10-17" || len(doc.Statement) != 1 || doc.Statement[0].Effect != "Allow" || doc.Statement[0].Principal == nil {
				t.Errorf("policy decoded as %+v", doc)
			}
			if raw := ev.ParamRaw(tc.path); raw == nil {
				t.Errorf("ParamRaw(%s) is nil", tc.path)
			}
		})
	}
	// The encryption rule is an object in one record and a list in another:
	// ParamRaw hands either through untouched.
	raw := decode(t, "s3/put-bucket-encryption-rule-list.json").ParamRaw("ServerSideEncryptionConfiguration.Rule")
	var rules []struct {
		ApplyServerSideEncryptionByDefault struct{ SSEAlgorithm, KMSMasterKeyID string }
		BucketKeyEnabled                   bool
	}
	if err := json.Unmarshal(raw, &rules); err != nil || len(rules) != 1 ||
		rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID != "alias/aws/s3" || !rules[0].BucketKeyEnabled {
		t.Errorf("rule list decoded as %+v (%v)", rules, err)
	}
}

func TestHost(t *testing.T) {
	for _, tc := range []struct{ fixture, want string }{
		{"s3/put-bucket-policy-list-host.json", "city-records-prod.s3.ap-northeast-1.amazonaws.com"},
		{"s3/put-bucket-policy-public.json", "city-records-prod.s3.ap-northeast-1.amazonaws.com"},
		{"s3/create-bucket-osaka.json", "city-records-prod.s3.ap-northeast-3.amazonaws.com"},
		{"s3/put-account-public-access-block.json", "123456789012.s3-control.us-east-1.amazonaws.com"},
		{"s3/put-bucket-policy-omitted.json", ""},
		{"iam/create-user.json", ""},
	} {
		if got := decode(t, tc.fixture).Host(); got != tc.want {
			t.Errorf("%s: Host() = %q, want %q", tc.fixture, got, tc.want)
		}
	}
	for _, tc := range []struct{ params, want string }{
		{`{"Host": []}`, ""},
		{`{"Host": ["a.example", "b.example"]}`, "a.example"},
		{`{"Host": 7}`, ""},
		{`{"Host": null}`, ""},
	} {
		if got := withDetail(t, `,"requestParameters": `+tc.params).Host(); got != tc.want {
			t.Errorf("Host() of %s = %q, want %q", tc.params, got, tc.want)
		}
	}
}

// withDetail decodes a minimal envelope whose detail carries extra fields
// (given with their leading comma).
func withDetail(t testing.TB, extra string) *cloudtrail.Event {
	t.Helper()
	raw := `{"id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"123456789012","region":"ap-northeast-1",
		"detail":{"eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","eventID":"r1"` + extra + `}}`
	ev, err := cloudtrail.Decode([]byte(raw))
	if err != nil {
		t.Fatalf("%s: %v", extra, err)
	}
	return ev
}

func TestReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name, detail string
		want         bool
	}{
		{"flag true wins over a write name", `"eventName":"PutBucketPolicy","readOnly":true`, true},
		{"flag false wins over a read name", `"eventName":"GetBucketPolicy","readOnly":false`, false},
		{"no flag: Get is a read", `"eventName":"GetBucketPolicy"`, true},
		{"no flag: List is a read", `"eventName":"ListAccessKeys"`, true},
		{"no flag: Describe is a read", `"eventName":"DescribeStacks"`, true},
		{"no flag: Head is a read", `"eventName":"HeadBucket"`, true},
		{"no flag: Put is a write", `"eventName":"PutBucketPolicy"`, false},
		{"no flag: Create is a write", `"eventName":"CreateAccessKey"`, false},
		{"no flag: Getaway-like prefix inside a word is not special", `"eventName":"UpdateGetter"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := `{"id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com",` + tc.detail + `}}`
			ev, err := cloudtrail.Decode([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := ev.ReadOnly(); got != tc.want {
				t.Errorf("ReadOnly() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParamsOmitted(t *testing.T) {
	for _, tc := range []struct {
		name, detail string
		want         bool
	}{
		{"parameters present", `,"requestParameters":{"bucketName":"b"}`, false},
		{"no parameters at all (a user's own key)", `,"requestParameters":null`, false},
		{"parameters absent", ``, false},
		{"marker string", `,"requestParameters":"omitted"`, true},
		{"marker object", `,"requestParameters":{"omitted":true,"originalSize":300000}`, true},
		{"marker object false", `,"requestParameters":{"omitted":false}`, false},
		{"a real parameter named omitted among others", `,"requestParameters":{"omitted":true,"bucketName":"b","Host":"h"}`, false},
		{"dropped, said in additionalEventData", `,"requestParameters":null,"additionalEventData":{"omitted":true}`, true},
		{"additionalEventData without the marker", `,"requestParameters":null,"additionalEventData":{"SignatureVersion":"SigV4"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withDetail(t, tc.detail).ParamsOmitted(); got != tc.want {
				t.Errorf("ParamsOmitted() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestActorIdentities(t *testing.T) {
	for _, tc := range []struct {
		name, identity string
		want           cloudtrail.Actor
	}{
		{"IdentityCenterUser with an e-mail user name",
			`{"type":"IdentityCenterUser","accountId":"123456789012","userName":"hanako@lg.id.cloud.go.jp"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorSSOUser, Name: "hanako@lg.id.cloud.go.jp", Email: "hanako@lg.id.cloud.go.jp", Account: account}},
		{"IdentityCenterUser named only by its user id",
			`{"type":"IdentityCenterUser","accountId":"123456789012","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"},"credentialId":"EXAMPLE"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorSSOUser, Name: "544894e8-80c1-707f-60e3-3ba6510dfac1", Account: account}},
		{"AWS service",
			`{"type":"AWSService","invokedBy":"cloudformation.amazonaws.com"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorService, Name: "cloudformation.amazonaws.com"}},
		{"another account",
			`{"type":"AWSAccount","principalId":"AIDAEXAMPLE","accountId":"210987654321"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorAccount, Name: "210987654321", Account: "210987654321"}},
		{"IAM user without userName is named by its ARN",
			`{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/team/carol","accountId":"123456789012"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorIAMUser, Name: "carol", ARN: "arn:aws:iam::123456789012:user/team/carol", Account: account}},
		{"SSO role in us-east-1 (no region segment), session not an e-mail",
			`{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_SwitchOnlyRole_0a1b/hanako","accountId":"123456789012",
			  "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SwitchOnlyRole_0a1b"}}}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorSSOUser, Name: "hanako", ARN: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SwitchOnlyRole_0a1b", Account: account}},
		{"a role named like SSO outside the SSO path is a plain role",
			`{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Fake/x@example.com","accountId":"123456789012",
			  "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/AWSReservedSSO_Fake"}}}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorRole, Name: "AWSReservedSSO_Fake/x@example.com", ARN: "arn:aws:iam::123456789012:role/AWSReservedSSO_Fake", Account: account}},
		{"federated user",
			`{"type":"FederatedUser","arn":"arn:aws:sts::123456789012:federated-user/dave","accountId":"123456789012"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorRole, Name: "dave", ARN: "arn:aws:sts::123456789012:federated-user/dave", Account: account}},
		{"unknown type with nothing to name",
			`{"type":"Unknown"}`,
			cloudtrail.Actor{Kind: cloudtrail.ActorUnknown, Name: "unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := withDetail(t, `,"userIdentity":`+tc.identity)
			if got := ev.Actor(); got != tc.want {
				t.Errorf("Actor() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCausedBy(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		roles   []string
		want    bool
	}{
		{"iam/create-access-key-self-caused.json", []string{ownRole}, true},
		{"iam/create-access-key-self-caused.json", []string{"arn:aws:iam::123456789012:role/gcguard-*"}, true},
		{"iam/create-access-key-self-caused.json", []string{"arn:aws:iam::123456789012:role/gcguard-bucket"}, false},
		// The session name is the caller's choice: it never counts.
		{"iam/create-access-key-session-named-gcguard.json", []string{ownRole}, false},
		{"iam/create-access-key-session-named-gcguard.json", []string{"arn:aws:iam::123456789012:role/gcguard-*"}, false},
		{"iam/create-access-key-session-named-gcguard.json", []string{"arn:aws:sts::123456789012:assumed-role/vendor-deployer/gcguard-accesskey"}, false},
		{"iam/create-access-key-self-caused.json", []string{"arn:aws:sts::123456789012:assumed-role/gcguard-accesskey/1f2e3d4c5b6a"}, false},
		{"iam/create-access-key-self-caused.json", nil, false},
		{"iam/create-access-key-self.json", []string{"arn:aws:iam::123456789012:user/bob"}, false},
		{"iam/create-access-key-root.json", []string{"arn:aws:iam::123456789012:root"}, false},
		{"iam/create-access-key.json", []string{ownRole, ssoRole}, true},
	} {
		if got := decode(t, tc.fixture).CausedBy(tc.roles); got != tc.want {
			t.Errorf("%s CausedBy(%v) = %v, want %v", tc.fixture, tc.roles, got, tc.want)
		}
	}
}

func TestIsSSORoleARN(t *testing.T) {
	for arn, want := range map[string]bool{
		ssoRole: true,
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SwitchOnlyRole_0a1b": true,
		"arn:aws:iam::123456789012:role/AWSReservedSSO_SwitchOnlyRole_0a1b":                                false,
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/app-role":                           false,
		"": false,
	} {
		if got := cloudtrail.IsSSORoleARN(arn); got != want {
			t.Errorf("IsSSORoleARN(%q) = %v, want %v", arn, got, want)
		}
	}
}

// DecodeRecord takes the bare record a CloudWatch Logs subscription delivers
// and yields the same event as the EventBridge envelope, keyed by the
// record's own event id.
func TestDecodeRecord(t *testing.T) {
	for rel := range fixtures {
		t.Run(rel, func(t *testing.T) {
			var env struct{ Detail json.RawMessage }
			if err := json.Unmarshal(read(t, rel), &env); err != nil {
				t.Fatal(err)
			}
			got, err := cloudtrail.DecodeRecord(env.Detail)
			if err != nil {
				t.Fatal(err)
			}
			want := decode(t, rel)
			if got.ID != want.Detail.EventID || got.DetailType != cloudtrail.DetailType || got.Source != want.Source ||
				got.Account != want.Account || got.Region != want.Detail.AWSRegion || !got.Time.Equal(want.Detail.EventTime) {
				t.Errorf("record decoded as %s %s %s %s %s %v; envelope says %s %s %s %s %v", got.ID, got.DetailType, got.Source,
					got.Account, got.Region, got.Time, want.Detail.EventID, want.Source, want.Account, want.Detail.AWSRegion, want.Detail.EventTime)
			}
			if got.Detail.EventName != want.Detail.EventName || got.Failed() != want.Failed() || got.ReadOnly() != want.ReadOnly() ||
				got.ParamsOmitted() != want.ParamsOmitted() || got.Actor() != want.Actor() || got.Host() != want.Host() {
				t.Errorf("record and envelope disagree")
			}
		})
	}
	for _, tc := range []struct{ name, raw, id string }{
		{"not JSON", `{"eventName":`, ""},
		{"an envelope, not a record", string(read(t, "iam/create-user.json")), ""},
		{"no event source", `{"eventID":"r9","eventName":"CreateUser"}`, "r9"},
		{"a list", `[]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cloudtrail.DecodeRecord([]byte(tc.raw))
			var me *cloudtrail.MalformedError
			if !errors.As(err, &me) || me.EventID != tc.id {
				t.Errorf("want *MalformedError naming %q, got %v", tc.id, err)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	big := `{"id":"big","detail-type":"AWS API Call via CloudTrail","pad":"` + strings.Repeat("x", cloudtrail.MaxEventBytes) + `"}`
	for _, tc := range []struct{ name, raw, id, says string }{
		{"empty", ``, "", "not an EventBridge event"},
		{"a list", `[1,2]`, "", "not an EventBridge event"},
		{"other detail-type", `{"id":"x1","detail-type":"Scheduled Event","detail":{}}`, "x1", "Scheduled Event"},
		{"no detail-type", `{"id":"x2","detail":{"eventName":"A","eventSource":"s"}}`, "x2", "detail-type"},
		{"no event source", `{"id":"x3","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"A"}}`, "x3", "eventSource"},
		{"detail is a number", `{"id":"x4","detail-type":"AWS API Call via CloudTrail","detail":7}`, "x4", "not an EventBridge event"},
		{"time is not a time", `{"id":"x5","detail-type":"AWS API Call via CloudTrail","time":"yesterday","detail":{"eventName":"A","eventSource":"s"}}`, "x5", "not an EventBridge event"},
		{"over the size limit", big, "", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := cloudtrail.Decode([]byte(tc.raw))
			var me *cloudtrail.MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("want *MalformedError, got %v, %+v", err, ev)
			}
			if me.EventID != tc.id || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %q (id %q), want id %q and text containing %q", err, me.EventID, tc.id, tc.says)
			}
			if tc.id == "" && !strings.Contains(err.Error(), "(no id)") {
				t.Errorf("an error without an id should say so: %q", err)
			}
		})
	}
}

// An envelope that lacks account or region takes them from the record.
func TestDecodeFillsEnvelope(t *testing.T) {
	raw := `{"id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.s3",
		"detail":{"eventName":"CreateBucket","eventSource":"s3.amazonaws.com","awsRegion":"ap-northeast-3","recipientAccountId":"123456789012"}}`
	ev, err := cloudtrail.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Account != account || ev.Region != "ap-northeast-3" {
		t.Errorf("account %q region %q", ev.Account, ev.Region)
	}
}

func TestSourceOf(t *testing.T) {
	for in, want := range map[string]string{
		"iam.amazonaws.com": "aws.iam", "s3.amazonaws.com": "aws.s3", "sts.amazonaws.com": "aws.sts", "": "aws.",
	} {
		if got := cloudtrail.SourceOf(in); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecode: Decode never panics; what it accepts names an event and a
// source, and no accessor panics on it, whatever the path.
func FuzzDecode(f *testing.F) {
	for _, rel := range allFixtures(f) {
		f.Add(read(f, rel), "accessKey.userName")
	}
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"A","eventSource":"s","requestParameters":"x"}}`), "a.b")
	f.Add([]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"A","eventSource":"s","requestParameters":{"Host":[1]}}}`), "Host")
	f.Fuzz(func(t *testing.T, raw []byte, path string) {
		ev, err := cloudtrail.Decode(raw)
		if err != nil {
			var me *cloudtrail.MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error is %T, not *MalformedError: %v", err, err)
			}
			return
		}
		if ev.Detail.EventName == "" || ev.Detail.EventSource == "" {
			t.Fatalf("accepted an event without name or source: %q", raw)
		}
		for _, p := range []string{path, "", ".", path + "." + path, "userName"} {
			_ = ev.Param(p)
			_ = ev.Response(p)
			_ = ev.ParamRaw(p)
		}
		_ = ev.Host()
		_ = ev.Failed()
		_ = ev.ReadOnly()
		_ = ev.ParamsOmitted()
		_ = ev.Actor()
		_ = ev.CausedBy([]string{path, "arn:aws:iam::*:role/*"})
		if slices.Contains([]string{"Root", "IAMUser"}, ev.Detail.UserIdentity.Type) && ev.CausedBy([]string{"*"}) {
			t.Fatalf("a %s call counted as caused by a role", ev.Detail.UserIdentity.Type)
		}
	})
}
