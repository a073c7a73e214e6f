package testkit

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=00"
	tests := []struct {
		method, target, service, header, body string
		action                                string
		proto                                 Protocol
		mutating                              bool
	}{
		{"POST", "/", "iam", "", "Action=PutUserPolicy&Version=2010-05-08", "PutUserPolicy", ProtocolQuery, true},
		{"POST", "/", "iam", "", "Action=ListAttachedUserPolicies&Version=2010-05-08", "ListAttachedUserPolicies", ProtocolQuery, false},
		{"GET", "/?Action=GetRole&RoleName=r", "iam", "", "", "GetRole", ProtocolQuery, false},
		{"POST", "/", "sns", "", "Action=Publish", "Publish", ProtocolQuery, true},
		{"POST", "/", "dynamodb", "X-Amz-Target: DynamoDB_20120810.PutItem", "{}", "PutItem", ProtocolJSON, true},
		{"POST", "/", "dynamodb", "X-Amz-Target: DynamoDB_20120810.BatchGetItem", "{}", "BatchGetItem", ProtocolJSON, false},
		{"POST", "/", "ssm", "X-Amz-Target: AmazonSSM.GetParameter", "{}", "GetParameter", ProtocolJSON, false},
		{"PUT", "/b?policy", "s3", "", "", "PutBucketPolicy", ProtocolRESTXML, true},
		{"GET", "/b?policy=", "s3", "", "", "GetBucketPolicy", ProtocolRESTXML, false},
		{"DELETE", "/b?policy", "s3", "", "", "DeleteBucketPolicy", ProtocolRESTXML, true},
		{"PUT", "/b?encryption", "s3", "", "", "PutBucketEncryption", ProtocolRESTXML, true},
		{"GET", "/b?publicAccessBlock", "s3", "", "", "GetPublicAccessBlock", ProtocolRESTXML, false},
		{"PUT", "/b?ownershipControls", "s3", "", "", "PutBucketOwnershipControls", ProtocolRESTXML, true},
		{"PUT", "/b?acl", "s3", "", "", "PutBucketAcl", ProtocolRESTXML, true},
		{"PUT", "/b/k?acl", "s3", "", "", "PutObjectAcl", ProtocolRESTXML, true},
		{"DELETE", "/b?tagging", "s3", "", "", "DeleteBucketTagging", ProtocolRESTXML, true},
		{"PUT", "/b/dir/k", "s3", "", "", "PutObject", ProtocolRESTXML, true},
		{"PUT", "/b/k", "s3", "X-Amz-Copy-Source: /a/b", "", "CopyObject", ProtocolRESTXML, true},
		{"GET", "/b/k", "s3", "", "", "GetObject", ProtocolRESTXML, false},
		{"HEAD", "/b/k", "s3", "", "", "HeadObject", ProtocolRESTXML, false},
		{"DELETE", "/b/k", "s3", "", "", "DeleteObject", ProtocolRESTXML, true},
		{"PUT", "/b", "s3", "", "", "CreateBucket", ProtocolRESTXML, true},
		{"GET", "/b?list-type=2&prefix=x", "s3", "", "", "ListObjectsV2", ProtocolRESTXML, false},
		{"POST", "/b?delete", "s3", "", "", "DeleteObjects", ProtocolRESTXML, true},
		{"GET", "/b?intelligent-tiering", "s3", "", "", "GetBucketIntelligent-tiering", ProtocolRESTXML, false},
		{"PUT", "/b/k?x-id=PutObject", "s3", "", "", "PutObject", ProtocolRESTXML, true},
		{"GET", "/", "s3", "", "", "ListBuckets", ProtocolRESTXML, false},
		{"PUT", "/v20180820/configuration/publicAccessBlock", "s3", "", "", "PutPublicAccessBlock", ProtocolRESTXML, true},
		{"GET", "/2015-03-31/functions/f", "lambda", "", "", "", ProtocolRESTJSON, false},
		{"POST", "/2015-03-31/functions/f/invocations", "lambda", "", "", "", ProtocolRESTJSON, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
		r.Header.Set("Authorization", strings.Replace(auth, "%s", tt.service, 1))
		if tt.body != "" && tt.body[0] != '{' {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		if k, v, ok := strings.Cut(tt.header, ": "); ok {
			r.Header.Set(k, v)
		}
		service, region, action, proto := classify(r, []byte(tt.body))
		wantService := tt.service
		if strings.HasPrefix(tt.target, "/v20180820/") {
			wantService = "s3control"
		}
		if service != wantService || region != "us-east-1" || action != tt.action || proto != tt.proto {
			t.Errorf("%s %s: got %s/%s %s %s, want %s %s %s", tt.method, tt.target, service, region, action, proto, wantService, tt.action, tt.proto)
		}
		c := Call{Service: service, Action: action, Protocol: proto, Method: tt.method}
		if got := isMutating(c); got != tt.mutating {
			t.Errorf("%s %s (%s): mutating = %v, want %v", tt.method, tt.target, action, got, tt.mutating)
		}
	}
}

func TestSigningScopePresigned(t *testing.T) {
	r := httptest.NewRequest("GET", "/b/k?X-Amz-Credential=testing%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=00", nil)
	if s, reg := signingScope(r); s != "s3" || reg != "eu-west-1" {
		t.Errorf("presigned scope = %s %s", s, reg)
	}
}
