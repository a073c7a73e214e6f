package policy

import "testing"

func TestUpsertRemoveStatement(t *testing.T) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	deny := &Statement{Sid: "GcguardDenyInsecureTransport", HasSid: true, Effect: "Deny", Principal: &Principal{Wildcard: true},
		Action:    &Values{List: []string{"s3:*"}, Single: true},
		Resource:  &Values{List: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}},
		Condition: &Condition{Blocks: []ConditionBlock{{Operator: "Bool", Entries: []ConditionEntry{{Key: "aws:SecureTransport", Values: []ConditionValue{{Text: "false"}}, Single: true}}}}}}
	if changed, err := d.UpsertStatement(deny); err != nil || !changed {
		t.Fatalf("first upsert: %v %v", changed, err)
	}
	if changed, _ := d.UpsertStatement(deny); changed {
		t.Error("second upsert changed the document")
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"GcguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if got := string(Minify(d)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !d.RemoveStatement("GcguardDenyInsecureTransport") || d.RemoveStatement("nope") || len(d.Statements) != 1 {
		t.Error("remove")
	}
	if _, err := d.UpsertStatement(&Statement{}); err == nil {
		t.Error("upsert without Sid accepted")
	}
	if _, err := MinifyJSON([]byte("x")); err == nil {
		t.Error("MinifyJSON accepted garbage")
	}
}
