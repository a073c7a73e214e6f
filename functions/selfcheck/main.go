// Command selfcheck is the scheduled check that gcguard's rules and
// functions are intact (shared/selfcheck). EventBridge Scheduler invokes it
// every canary period with the deployment's expectations as input.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/selfcheck"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	home := os.Getenv(config.EnvHomeRegion)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(home))
	if err != nil {
		log.Error("start-up failed: load AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	lang := os.Getenv(config.EnvLanguage)
	if lang == "" {
		lang = config.DefaultLanguage
	}
	c := &selfcheck.Checker{
		Events: func(region string) selfcheck.EventsAPI {
			return eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.Region = region })
		},
		Lambda:  awslambda.NewFromConfig(cfg),
		Publish: &notify.Publisher{SNS: sns.NewFromConfig(cfg), TopicARN: os.Getenv(config.EnvTopicARN), Language: lang},
		Account: os.Getenv(config.EnvAccount),
		Region:  home,
	}
	lambda.Start(func(ctx context.Context, in selfcheck.Input) (map[string]any, error) {
		problems, err := c.Run(ctx, in)
		for _, p := range problems {
			log.Error("gcguard is not intact", "region", p.Region, "resource", p.Resource, "problem", p.What)
		}
		if err != nil {
			log.Error("self-check failed", "error", err.Error())
			return nil, err
		}
		log.Info("self-check done", "rules", len(in.Rules), "functions", len(in.Functions), "problems", len(problems))
		return map[string]any{"problems": len(problems), "checked": len(in.Rules) + len(in.Functions)}, nil
	})
}
