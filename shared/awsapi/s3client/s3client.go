// Package s3client builds S3 and S3 Control clients that work against AWS
// and a local endpoint alike. It is apart from awsapi so that functions
// without S3 rules do not link the S3 clients.
package s3client

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/gcguard/gcguard/shared/awsapi"
)

// New builds an S3 client for a region; against a local endpoint it uses
// path-style addressing, which moto needs.
func New(cfg aws.Config, region string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		o.UsePathStyle = awsapi.Local(cfg)
	})
}

// Control builds an S3 Control client. Real S3 Control puts the account id
// in the host name; a local endpoint cannot serve that, so there the
// endpoint is the base URL as given.
func Control(cfg aws.Config) *s3control.Client {
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		if awsapi.Local(cfg) {
			o.EndpointResolverV2 = fixedResolver{base: *cfg.BaseEndpoint}
		}
	})
}

type fixedResolver struct{ base string }

func (r fixedResolver) ResolveEndpoint(ctx context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(r.base)
	if err != nil {
		return smithyendpoints.Endpoint{}, fmt.Errorf("local S3 Control endpoint %q: %w", r.base, err)
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
