package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/gcguard/gcguard/shared/awsapi"
)

// sdkError builds an error shaped as the SDK returns it: an operation error
// around an HTTP response error around the service's API error (or, with
// code "", a bare transport failure).
func sdkError(service, op string, status int, code string) error {
	var inner error = errors.New("response body could not be read")
	if code != "" {
		inner = &smithy.GenericAPIError{Code: code, Message: code + " says the service"}
	}
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &awshttp.ResponseError{
		RequestID: "req-1",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      inner,
		},
	}}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want awsapi.Class
	}{
		{"nil", nil, awsapi.Permanent},
		{"IAM NoSuchEntity", sdkError("IAM", "GetRole", 404, "NoSuchEntity"), awsapi.NotFound},
		{"S3 NoSuchBucket", sdkError("S3", "GetBucketPolicy", 404, "NoSuchBucket"), awsapi.NotFound},
		{"S3 NoSuchBucketPolicy", sdkError("S3", "GetBucketPolicy", 404, "NoSuchBucketPolicy"), awsapi.NotFound},
		{"S3 no encryption config (moto)", sdkError("S3", "GetBucketEncryption", 404, "ServerSideEncryptionConfigurationNotFoundError"), awsapi.NotFound},
		{"SSM ParameterNotFound", sdkError("SSM", "GetParameter", 400, "ParameterNotFound"), awsapi.NotFound},
		{"IAM Throttling", sdkError("IAM", "ListRoles", 400, "Throttling"), awsapi.Transient},
		{"S3 SlowDown", sdkError("S3", "PutBucketPolicy", 503, "SlowDown"), awsapi.Transient},
		{"DynamoDB throughput", sdkError("DynamoDB", "PutItem", 400, "ProvisionedThroughputExceededException"), awsapi.Transient},
		{"IAM ConcurrentModification", sdkError("IAM", "UpdateAssumeRolePolicy", 409, "ConcurrentModification"), awsapi.Transient},
		{"S3 OperationAborted", sdkError("S3", "PutBucketEncryption", 409, "OperationAborted"), awsapi.Transient},
		{"AccessDenied", sdkError("IAM", "DeleteAccessKey", 403, "AccessDenied"), awsapi.Permanent},
		{"AccessDeniedException", sdkError("DynamoDB", "PutItem", 400, "AccessDeniedException"), awsapi.Permanent},
		{"MalformedPolicyDocument", sdkError("IAM", "UpdateAssumeRolePolicy", 400, "MalformedPolicyDocument"), awsapi.Permanent},
		{"conditional check failed", sdkError("DynamoDB", "PutItem", 400, "ConditionalCheckFailedException"), awsapi.Permanent},
		{"HTTP 500 without a code", sdkError("S3", "GetBucketAcl", 500, ""), awsapi.Transient},
		{"HTTP 503 without a code", sdkError("S3", "GetBucketAcl", 503, ""), awsapi.Transient},
		{"HTTP 429 without a code", sdkError("S3", "GetBucketAcl", 429, ""), awsapi.Transient},
		{"HTTP 404 without a code (S3 HEAD)", sdkError("S3", "HeadBucket", 404, ""), awsapi.NotFound},
		{"HTTP 404 with an unknown code", sdkError("S3", "GetBucketAcl", 404, "SomethingElse"), awsapi.Permanent},
		{"HTTP 400 without a code", sdkError("S3", "GetBucketAcl", 400, ""), awsapi.Permanent},
		{"HTTP 500 with a permanent code", sdkError("IAM", "GetRole", 500, "AccessDenied"), awsapi.Transient},
		{"ErrGone", awsapi.ErrGone, awsapi.NotFound},
		{"ErrGone wrapped twice", fmt.Errorf("observe: %w", fmt.Errorf("access key AKIA of alice: %w", awsapi.ErrGone)), awsapi.NotFound},
		{"deadline", context.DeadlineExceeded, awsapi.Transient},
		{"deadline wrapped in an operation error", &smithy.OperationError{ServiceID: "IAM", OperationName: "GetRole",
			Err: fmt.Errorf("send request: %w", context.DeadlineExceeded)}, awsapi.Transient},
		{"network error", &smithy.OperationError{ServiceID: "S3", OperationName: "GetBucketPolicy",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}}, awsapi.Transient},
		{"retries exhausted", &retry.MaxAttemptsError{Attempt: 5, Err: sdkError("IAM", "ListRoles", 400, "Throttling")}, awsapi.Transient},
		{"connection reset in text", errors.New("read tcp 127.0.0.1:1: connection reset by peer"), awsapi.Transient},
		{"plain error", errors.New("the event names no IAM user"), awsapi.Permanent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := awsapi.Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if got := awsapi.IsNotFound(tc.err); got != (tc.want == awsapi.NotFound) {
				t.Errorf("IsNotFound = %v", got)
			}
			if got := awsapi.IsTransient(tc.err); got != (tc.want == awsapi.Transient) {
				t.Errorf("IsTransient = %v", got)
			}
		})
	}
}

func TestCode(t *testing.T) {
	if got := awsapi.Code(sdkError("IAM", "GetRole", 404, "NoSuchEntity")); got != "NoSuchEntity" {
		t.Errorf("Code = %q", got)
	}
	for _, err := range []error{nil, errors.New("x"), sdkError("S3", "HeadBucket", 404, "")} {
		if got := awsapi.Code(err); got != "" {
			t.Errorf("Code(%v) = %q, want empty", err, got)
		}
	}
}
