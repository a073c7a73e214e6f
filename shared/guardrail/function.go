package guardrail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/notify"
)

// MacKeyActions are what every function, the revert role and whoever runs
// `gcguard exempt` need on the HMAC key named by GCGUARD_MAC_KEY_ARN; the
// CDK app grants them on that key's ARN, like the table and the topic.
var MacKeyActions = []string{"kms:GenerateMac", "kms:VerifyMac"}

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
	if cfg.MacKeyARN == "" {
		return nil, fmt.Errorf("config %s: the MAC key is required: gcguard acts only on state it can authenticate", config.EnvMacKeyARN)
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
	// Without a key (the CLI's read-only scan) nothing can be written and
	// no hold, lease or exemption can be honoured; functions always have one.
	var mac *audit.MAC
	if cfg.MacKeyARN != "" {
		mac = &audit.MAC{KMS: kms.NewFromConfig(awsCfg), KeyARN: cfg.MacKeyARN}
	}
	eng := &Engine{
		Config: cfg,
		Logger: NewLogger(os.Stdout),
		Stacks: NewStackFinder(awsCfg),
	}
	eng.Audit = &audit.Store{DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.AuditTable, MAC: mac, HoldMax: cfg.HoldMax, OnInvalid: eng.Alarm}
	if cfg.TopicARN != "" {
		eng.Notifier = &notify.Publisher{SNS: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN, Language: cfg.Language, Mask: cfg.MaskActor, Deployment: notify.DeploymentFrom(cfg)}
	}
	if cfg.ExemptionsParam != "" {
		eng.Exemptions = &ParameterExemptions{SSM: ssm.NewFromConfig(awsCfg), Name: cfg.ExemptionsParam, Rules: KnownRules(reg), TTL: time.Minute, MAC: mac, OnInvalid: eng.Alarm}
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

// ParameterExemptions reads exemptions from the SSM String parameter,
// caching the value for TTL so a burst of events reads it once. Only
// entries with a valid MAC apply; each is verified once per process, and
// only when it covers a resource gcguard is about to act on.
type ParameterExemptions struct {
	SSM   SSMAPI
	Name  string
	Rules []string
	TTL   time.Duration
	MAC   *audit.MAC
	// OnInvalid hears of every entry (or whole value) ignored because it
	// is unsigned, altered or unreadable.
	OnInvalid func(ctx context.Context, bad audit.InvalidItem)

	mu       sync.Mutex
	cached   config.ExemptionDoc
	fetched  time.Time
	verified map[string]bool // entry digest+MAC → valid
	reported map[string]bool // parameter values already reported as unusable
}

// Lookup returns the authenticated entry covering the rule and resource;
// active says whether it still applies (an expired one is returned so it
// can be reported). A missing parameter means none. An unreadable value,
// the old unsigned format and entries that do not verify are reported and
// ignored: an exemption nobody can authenticate never lets a violation
// through, and a parameter anyone garbles never stops a fix.
func (p *ParameterExemptions) Lookup(ctx context.Context, rule, resource string, now time.Time) (config.Exemption, bool, bool, error) {
	doc, err := p.load(ctx)
	if err != nil {
		return config.Exemption{}, false, false, err
	}
	var expired *config.Exemption
	for i, e := range doc.Entries {
		if !e.Covers(rule, resource) {
			continue
		}
		ok, err := p.verify(ctx, i, e)
		if err != nil {
			return config.Exemption{}, false, false, err
		}
		if !ok {
			continue
		}
		if e.Active(now) {
			return e, true, true, nil
		}
		if expired == nil {
			expired = &doc.Entries[i]
		}
	}
	if expired != nil {
		return *expired, false, true, nil
	}
	return config.Exemption{}, false, false, nil
}

func (p *ParameterExemptions) load(ctx context.Context) (config.ExemptionDoc, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.fetched.IsZero() && time.Since(p.fetched) < p.TTL {
		return p.cached, nil
	}
	out, err := p.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.Name)})
	if awsapi.IsNotFound(err) {
		p.cached, p.fetched = config.ExemptionDoc{}, time.Now()
		return p.cached, nil
	}
	if err != nil {
		return config.ExemptionDoc{}, fmt.Errorf("read exemptions parameter %s: %w", p.Name, err)
	}
	value := aws.ToString(out.Parameter.Value)
	doc, legacy, err := config.DecodeExemptionDoc([]byte(value))
	p.cached, p.fetched = config.ExemptionDoc{}, time.Now()
	switch {
	case err != nil:
		p.reportValue(ctx, value, "its value cannot be read ("+err.Error()+"): no entry applies")
	case legacy:
		p.reportValue(ctx, value, fmt.Sprintf("%s (%d entries); re-sign them with `gcguard exempt sync` or `gcguard exempt add`", audit.ReasonUnsigned, len(doc.Entries)))
	default:
		p.cached = doc
	}
	return p.cached, nil
}

// reportValue reports an unusable value once per process.
func (p *ParameterExemptions) reportValue(ctx context.Context, value, reason string) {
	sum := sha256.Sum256([]byte(value))
	key := hex.EncodeToString(sum[:])
	if p.reported == nil {
		p.reported = map[string]bool{}
	}
	if p.reported[key] {
		return
	}
	p.reported[key] = true
	p.invalid(ctx, audit.InvalidItem{Where: "parameter " + p.Name, Kind: audit.DomainExemption, Key: "(whole value)", Reason: reason})
}

func (p *ParameterExemptions) verify(ctx context.Context, i int, e config.Exemption) (bool, error) {
	fields := ExemptionFields(e)
	key := hex.EncodeToString(audit.Digest(audit.DomainExemption, fields)) + "/" + e.MAC
	p.mu.Lock()
	ok, seen := p.verified[key]
	p.mu.Unlock()
	if seen {
		return ok, nil
	}
	reason := audit.ReasonNoMAC
	if e.MAC != "" {
		var err error
		if ok, err = p.MAC.Verify(ctx, audit.DomainExemption, fields, e.MAC); err != nil {
			return false, fmt.Errorf("exemptions parameter %s entry %d: %w", p.Name, i, err)
		}
		reason = audit.ReasonBadMAC
	}
	p.mu.Lock()
	if p.verified == nil {
		p.verified = map[string]bool{}
	}
	p.verified[key] = ok
	p.mu.Unlock()
	if !ok {
		// Reported once per process: the verdict is cached with it.
		p.invalid(ctx, audit.InvalidItem{Where: "parameter " + p.Name, Kind: audit.DomainExemption,
			Key: fmt.Sprintf("entries[%d] (rule %s, approval %q, expires %s)", i, e.Rule, e.Approval, e.Expires), Resource: e.Resource, Reason: reason})
	}
	return ok, nil
}

func (p *ParameterExemptions) invalid(ctx context.Context, bad audit.InvalidItem) {
	if p.OnInvalid != nil {
		p.OnInvalid(ctx, bad)
	}
}

// ExemptionFields is an entry's signed fields in the form the MAC takes.
func ExemptionFields(e config.Exemption) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for k, v := range e.Signed() {
		m[k] = &types.AttributeValueMemberS{Value: v}
	}
	return m
}

// SignExemption sets the entry's MAC: one GenerateMac.
func SignExemption(ctx context.Context, mac *audit.MAC, e *config.Exemption) error {
	sig, err := mac.Sign(ctx, audit.DomainExemption, ExemptionFields(*e))
	if err != nil {
		return fmt.Errorf("sign exemption for %s: %w", e.Resource, err)
	}
	e.MAC = sig
	return nil
}

// VerifyExemption reports whether the entry's MAC is valid.
func VerifyExemption(ctx context.Context, mac *audit.MAC, e config.Exemption) (bool, error) {
	if e.MAC == "" {
		return false, nil
	}
	return mac.Verify(ctx, audit.DomainExemption, ExemptionFields(e), e.MAC)
}

// SignedExemptionDoc signs every entry and returns the parameter value:
// {"version":2,"entries":[...]}. One GenerateMac per entry.
func SignedExemptionDoc(ctx context.Context, mac *audit.MAC, entries config.Exemptions) (string, error) {
	doc := config.ExemptionDoc{Version: config.ExemptionsVersion, Entries: config.Exemptions{}}
	for _, e := range entries {
		if err := SignExemption(ctx, mac, &e); err != nil {
			return "", err
		}
		doc.Entries = append(doc.Entries, e)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode exemptions: %w", err)
	}
	return string(b), nil
}
