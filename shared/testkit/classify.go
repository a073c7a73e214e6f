package testkit

import (
	"net/http"
	"net/url"
	"strings"
)

// Protocol is the AWS wire protocol a call used; it decides how an injected
// error is shaped.
type Protocol string

const (
	ProtocolQuery    Protocol = "query"     // form-encoded Action=, XML replies: IAM, STS, SNS, EC2
	ProtocolJSON     Protocol = "json"      // X-Amz-Target header: DynamoDB, SSM, KMS, SQS, Secrets Manager
	ProtocolRESTXML  Protocol = "rest-xml"  // S3, S3 Control, CloudFront
	ProtocolRESTJSON Protocol = "rest-json" // everything else that is REST
)

// signingScope reads service and region from SigV4's credential scope,
// either in the Authorization header or in a presigned URL's query.
func signingScope(r *http.Request) (service, region string) {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	// AKID/date/region/service/aws4_request
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-3]
}

// classify names the call r makes. body is the request body, read only when
// it is a form (query protocol).
func classify(r *http.Request, body []byte) (service, region, action string, proto Protocol) {
	service, region = signingScope(r)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return service, region, target[strings.LastIndexByte(target, '.')+1:], ProtocolJSON
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return service, region, a, ProtocolQuery
	}
	if isForm(r) {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return service, region, v.Get("Action"), ProtocolQuery
		}
	}
	if service == "s3" && strings.HasPrefix(r.URL.Path, "/v20180820/") {
		return "s3control", region, s3ControlAction(r), ProtocolRESTXML
	}
	if service == "s3" || service == "" && r.Header.Get("X-Amz-Content-Sha256") != "" {
		return "s3", region, s3Action(r), ProtocolRESTXML
	}
	return service, region, "", ProtocolRESTJSON
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

var verbs = map[string]string{
	http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete",
	http.MethodHead: "Head", http.MethodPost: "Post",
}

// s3BucketOps names bucket sub-resource calls: sub-resource → method → action.
var s3BucketOps = map[string]map[string]string{
	"policy":            {"GET": "GetBucketPolicy", "PUT": "PutBucketPolicy", "DELETE": "DeleteBucketPolicy"},
	"policyStatus":      {"GET": "GetBucketPolicyStatus"},
	"encryption":        {"GET": "GetBucketEncryption", "PUT": "PutBucketEncryption", "DELETE": "DeleteBucketEncryption"},
	"publicAccessBlock": {"GET": "GetPublicAccessBlock", "PUT": "PutPublicAccessBlock", "DELETE": "DeletePublicAccessBlock"},
	"ownershipControls": {"GET": "GetBucketOwnershipControls", "PUT": "PutBucketOwnershipControls", "DELETE": "DeleteBucketOwnershipControls"},
	"acl":               {"GET": "GetBucketAcl", "PUT": "PutBucketAcl"},
	"tagging":           {"GET": "GetBucketTagging", "PUT": "PutBucketTagging", "DELETE": "DeleteBucketTagging"},
	"versioning":        {"GET": "GetBucketVersioning", "PUT": "PutBucketVersioning"},
	"logging":           {"GET": "GetBucketLogging", "PUT": "PutBucketLogging"},
	"lifecycle":         {"GET": "GetBucketLifecycleConfiguration", "PUT": "PutBucketLifecycleConfiguration", "DELETE": "DeleteBucketLifecycle"},
	"location":          {"GET": "GetBucketLocation"},
	"notification":      {"GET": "GetBucketNotificationConfiguration", "PUT": "PutBucketNotificationConfiguration"},
	"cors":              {"GET": "GetBucketCors", "PUT": "PutBucketCors", "DELETE": "DeleteBucketCors"},
	"website":           {"GET": "GetBucketWebsite", "PUT": "PutBucketWebsite", "DELETE": "DeleteBucketWebsite"},
	"replication":       {"GET": "GetBucketReplication", "PUT": "PutBucketReplication", "DELETE": "DeleteBucketReplication"},
	"object-lock":       {"GET": "GetObjectLockConfiguration", "PUT": "PutObjectLockConfiguration"},
	"uploads":           {"GET": "ListMultipartUploads"},
	"versions":          {"GET": "ListObjectVersions"},
	"delete":            {"POST": "DeleteObjects"},
}

// s3ObjectOps names object sub-resource calls.
var s3ObjectOps = map[string]map[string]string{
	"acl":        {"GET": "GetObjectAcl", "PUT": "PutObjectAcl"},
	"tagging":    {"GET": "GetObjectTagging", "PUT": "PutObjectTagging", "DELETE": "DeleteObjectTagging"},
	"attributes": {"GET": "GetObjectAttributes"},
	"retention":  {"GET": "GetObjectRetention", "PUT": "PutObjectRetention"},
	"legal-hold": {"GET": "GetObjectLegalHold", "PUT": "PutObjectLegalHold"},
	"uploads":    {"POST": "CreateMultipartUpload"},
	"uploadId":   {"GET": "ListParts", "PUT": "UploadPart", "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"},
}

// s3Action derives the S3 operation from a path-style request: the method,
// whether the path names a bucket or an object, and the sub-resource in the
// query. Unknown sub-resources become Verb+Bucket|Object+SubResource.
func s3Action(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	m := r.Method
	if id := q.Get("x-id"); id != "" { // the SDK names some operations itself
		return id
	}
	if bucket == "" {
		if m == http.MethodGet {
			return "ListBuckets"
		}
		return verbs[m] + "Service"
	}
	if key == "" {
		for sub, ops := range s3BucketOps {
			if q.Has(sub) {
				if a, ok := ops[m]; ok {
					return a
				}
			}
		}
		if sub := subResource(q); sub != "" {
			return verbs[m] + "Bucket" + upperFirst(sub)
		}
		switch m {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		case http.MethodHead:
			return "HeadBucket"
		}
		return verbs[m] + "Bucket"
	}
	if q.Has("uploadId") {
		if m == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
			return "UploadPartCopy"
		}
		return s3ObjectOps["uploadId"][m]
	}
	for sub, ops := range s3ObjectOps {
		if q.Has(sub) {
			if a, ok := ops[m]; ok {
				return a
			}
		}
	}
	if sub := subResource(q); sub != "" {
		return verbs[m] + "Object" + upperFirst(sub)
	}
	if m == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
		return "CopyObject"
	}
	return verbs[m] + "Object"
}

// subResource is the first query key that is a bare flag (?policy, ?foo=),
// skipping the SDK's own parameters.
func subResource(q url.Values) string {
	for k, v := range q {
		if strings.HasPrefix(strings.ToLower(k), "x-") || k == "list-type" || k == "versionId" {
			continue
		}
		if len(v) == 1 && v[0] == "" {
			return k
		}
	}
	return ""
}

// s3ControlAction names S3 Control calls by their last path segment:
// GET /v20180820/configuration/publicAccessBlock is GetPublicAccessBlock.
func s3ControlAction(r *http.Request) string {
	p := strings.Trim(r.URL.Path, "/")
	return verbs[r.Method] + upperFirst(p[strings.LastIndexByte(p, '/')+1:])
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var readPrefixes = []string{"Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "GenerateMac", "VerifyMac"}

// isMutating is the rule behind Proxy.Mutating: a call is read-only when its
// action starts with Get, List, Describe, Head, Query, Scan or BatchGet, is
// KMS's GenerateMac or VerifyMac (they compute, and change nothing), or
// when it is a REST call (S3, S3 Control, other REST services) made with GET
// or HEAD. Every other call, including one whose action is unknown, counts
// as mutating: when in doubt a write is assumed.
func isMutating(c Call) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(c.Action, p) {
			return false
		}
	}
	if (c.Protocol == ProtocolRESTXML || c.Protocol == ProtocolRESTJSON) &&
		(c.Method == http.MethodGet || c.Method == http.MethodHead) {
		return false
	}
	return true
}
