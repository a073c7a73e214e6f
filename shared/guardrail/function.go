package guardrail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/notify"
)

// NewFunction wires an engine for a Lambda function from its environment:
// configuration, SDK clients, the audit store, the publisher, exemptions and
// the named rules from the Default registry. It runs once, at cold start.
func NewFunction(ctx context.Context, getenv config.Getenv, ruleNames ...string) (*Engine, error) {
	if err := Default.Err(); err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv(getenv, KnownRules(Default))
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsapi.Load(ctx, "")
	if err != nil {
		return nil, err
	}
	return NewEngine(cfg, awsCfg, Default, ruleNames...)
}

// NewEngine wires an engine for a configuration and SDK configuration with
// the named rules of a registry; functions, tests and the demo share it.
func NewEngine(cfg *config.Config, awsCfg aws.Config, reg *Registry, ruleNames ...string) (*Engine, error) {
	if cfg.AuditTable == "" {
		return nil, fmt.Errorf("config %s: the audit table is required: nothing is changed without a record", config.EnvAuditTable)
	}
	deps := Deps{AWS: awsCfg, Config: cfg, Now: time.Now}
	eng := &Engine{
		Config: cfg,
		Audit:  &audit.Store{DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.AuditTable},
		Logger: NewLogger(os.Stdout),
		Stacks: NewStackFinder(awsCfg),
	}
	if cfg.TopicARN != "" {
		eng.Notifier = &notify.Publisher{SNS: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN, Language: cfg.Language, Mask: cfg.MaskActor}
	}
	if cfg.ExemptionsParam != "" {
		eng.Exemptions = &ParameterExemptions{SSM: ssm.NewFromConfig(awsCfg), Name: cfg.ExemptionsParam, Rules: KnownRules(reg), TTL: time.Minute}
	}
	for _, name := range ruleNames {
		def, ok := reg.Get(name)
		if !ok {
			return nil, fmt.Errorf("no rule named %q is registered (have %v)", name, reg.Names())
		}
		rule, err := def.New(deps)
		if err != nil {
			return nil, fmt.Errorf("build rule %s: %w", name, err)
		}
		eng.Rules = append(eng.Rules, Bound{Rule: rule, Mode: cfg.Mode(name, def.Spec.DefaultMode)})
	}
	return eng, nil
}

// NewLogger returns the JSON logger functions use; the Lambda request id
// rides along on every …Context call.
func NewLogger(w *os.File) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})})
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("request_id", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(a)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// SSMAPI is the part of the SSM client exemptions need.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ SSMAPI = (*ssm.Client)(nil)

// ParameterExemptions reads exemptions from the SSM String parameter the
// stack writes, caching them for TTL so a burst of events reads it once.
type ParameterExemptions struct {
	SSM   SSMAPI
	Name  string
	Rules []string
	TTL   time.Duration

	mu      sync.Mutex
	cached  config.Exemptions
	fetched time.Time
}

// Exemptions returns the current list. A missing parameter means none; an
// unreadable or invalid one is an error, so no violation is let through on
// the strength of an exemption nobody can read.
func (p *ParameterExemptions) Exemptions(ctx context.Context) (config.Exemptions, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.fetched.IsZero() && time.Since(p.fetched) < p.TTL {
		return p.cached, nil
	}
	out, err := p.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.Name)})
	if awsapi.IsNotFound(err) {
		p.cached, p.fetched = nil, time.Now()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read exemptions parameter %s: %w", p.Name, err)
	}
	ex, err := config.ParseExemptions([]byte(aws.ToString(out.Parameter.Value)), p.Rules)
	if err != nil {
		return nil, fmt.Errorf("exemptions parameter %s: %w", p.Name, err)
	}
	p.cached, p.fetched = ex, time.Now()
	return ex, nil
}
