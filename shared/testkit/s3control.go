package testkit

import (
	"context"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// S3ControlEndpoint keeps S3 Control calls on endpoint (moto or a Proxy).
// With only a base endpoint the SDK puts the account id in front of the
// host (123456789012.127.0.0.1), which resolves nowhere:
//
//	s3control.NewFromConfig(cfg, testkit.S3ControlEndpoint(moto.Endpoint()))
func S3ControlEndpoint(endpoint string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		o.EndpointResolverV2 = fixedEndpoint{endpoint}
	}
}

type fixedEndpoint struct{ endpoint string }

func (f fixedEndpoint) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(f.endpoint)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}
