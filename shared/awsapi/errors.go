package awsapi

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Class is how gcguard treats an error.
type Class int

const (
	Permanent Class = iota // log once, mark failed, do not retry
	NotFound               // the resource is gone: a quiet end
	Transient              // return it: Lambda retries the event
)

var notFoundCodes = map[string]bool{
	"NoSuchEntity": true, "NoSuchBucket": true, "NotFound": true, "NoSuchKey": true,
	"NoSuchBucketPolicy": true, "NoSuchPublicAccessBlockConfiguration": true,
	"ServerSideEncryptionConfigurationNotFoundError": true, "OwnershipControlsNotFoundError": true,
	"ParameterNotFound": true, "NoSuchLifecycleConfiguration": true,
}

var transientCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestLimitExceeded": true, "TooManyRequestsException": true, "SlowDown": true,
	"ProvisionedThroughputExceededException": true, "RequestThrottled": true,
	"ServiceUnavailable": true, "InternalError": true, "InternalFailure": true,
	"InternalServerError": true, "RequestTimeout": true, "RequestTimeoutException": true,
	"ServiceFailure": true, "ConcurrentModification": true, "OperationAborted": true,
	"TransactionInProgressException": true, "PriorRequestNotComplete": true,
}

// ErrGone says a resource named by an event is not there (any more). Rules
// wrap it when a list, not a get, shows the absence.
var ErrGone = errors.New("resource not found")

// Classify sorts an error into Permanent, NotFound or Transient.
func Classify(err error) Class {
	if err == nil {
		return Permanent
	}
	if errors.Is(err, ErrGone) {
		return NotFound
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case notFoundCodes[code]:
			return NotFound
		case transientCodes[code]:
			return Transient
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s == 404 && api == nil:
			return NotFound
		case s == 429 || s >= 500:
			return Transient
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Transient
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return Transient
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return Transient
	}
	if strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "connection refused") {
		return Transient
	}
	return Permanent
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return err != nil && Classify(err) == NotFound }

// IsTransient reports whether retrying later may succeed.
func IsTransient(err error) bool { return err != nil && Classify(err) == Transient }

// Code returns the AWS error code, or "".
func Code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
