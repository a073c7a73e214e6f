package testkit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Call is one AWS request that went through a Proxy.
type Call struct {
	Service  string   // SigV4 signing name: iam, s3, dynamodb, sns; s3control for S3 Control paths
	Region   string   // SigV4 signing region
	Action   string   // API operation: CreateUser, PutItem, PutBucketPolicy; "" when unknown
	Protocol Protocol // wire protocol, which decides how a fault is rendered
	Method   string
	Path     string
	Query    string // raw query string
	Status   int    // status sent back to the client; 0 if the connection was reset
	Injected bool   // the answer (or the reset) came from a Fault, not from moto
}

func (c Call) String() string {
	s := fmt.Sprintf("%s:%s %s %s → %d", c.Service, c.Action, c.Method, c.Path, c.Status)
	if c.Injected {
		s += " (injected)"
	}
	return s
}

// Proxy is a loopback reverse proxy in front of moto that records every AWS
// call and can inject faults. Bodies are forwarded byte for byte and the
// Host header is kept, so request signatures stay valid.
type Proxy struct {
	upstream *url.URL
	endpoint string
	srv      *http.Server
	rp       *httputil.ReverseProxy
	upConns  *http.Transport
	served   chan struct{}

	mu    sync.Mutex
	calls []Call
	fault func(Call) *Fault

	reqSeq atomic.Uint64
}

// StartProxy starts a recording proxy to upstream (usually Moto.Endpoint)
// on a free loopback port. Close it when done.
func StartProxy(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("start proxy: bad upstream %q", upstream)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start proxy: %w", err)
	}
	p := &Proxy{upstream: u, endpoint: "http://" + l.Addr().String(), served: make(chan struct{})}
	// Its own transport, so Close can drop the idle connections to moto.
	p.upConns = http.DefaultTransport.(*http.Transport).Clone()
	p.upConns.Proxy = nil
	p.rp = &httputil.ReverseProxy{
		Transport: p.upConns,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // signed; moto routes by the credential scope
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "testkit proxy: upstream: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(l)
	}()
	return p, nil
}

// Endpoint is the proxy's base URL.
func (p *Proxy) Endpoint() string { return p.endpoint }

// Env is what a child process needs to send its AWS calls through the proxy.
func (p *Proxy) Env() []string { return ClientEnv(p.endpoint, Region) }

// Config is an SDK config whose calls go through the proxy.
func (p *Proxy) Config(ctx context.Context, region string) (aws.Config, error) {
	return ClientConfig(ctx, p.endpoint, region)
}

// Close stops the proxy, cutting calls still in flight.
func (p *Proxy) Close() {
	_ = p.srv.Close()
	<-p.served
	p.upConns.CloseIdleConnections()
}

// SetFault installs a hook asked about every call before it is forwarded;
// a nil hook, or a hook returning nil, lets calls through.
func (p *Proxy) SetFault(f func(Call) *Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// Calls returns the calls recorded so far, in the order they arrived.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Reset forgets the recorded calls (the fault hook stays).
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = nil
}

// Mutating returns the recorded calls to service ("" for any service) that
// may have changed state, injected ones included. The rule: a call is
// read-only when its action starts with Get, List, Describe, Head, Query,
// Scan or BatchGet, or when it is a REST call (S3, S3 Control) made with GET
// or HEAD; every other call, an unknown action included, is mutating.
func (p *Proxy) Mutating(service string) []Call {
	var out []Call
	for _, c := range p.Calls() {
		if (service == "" || c.Service == service) && isMutating(c) {
			out = append(out, c)
		}
	}
	return out
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if isForm(r) {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			http.Error(w, "testkit proxy: read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	c.Service, c.Region, c.Action, c.Protocol = classify(r, body)

	p.mu.Lock()
	idx := len(p.calls)
	p.calls = append(p.calls, c)
	hook := p.fault
	p.mu.Unlock()

	rec := &statusRecorder{ResponseWriter: w}
	injected := false
	if hook != nil {
		if f := hook(c); f != nil {
			injected = p.inject(rec, r, c, f)
		}
	}
	if !injected {
		p.rp.ServeHTTP(rec, r)
	}

	p.mu.Lock()
	if idx < len(p.calls) { // Reset may have run meanwhile
		p.calls[idx].Status = rec.status
		p.calls[idx].Injected = injected
	}
	p.mu.Unlock()
}

// inject applies f and reports whether it answered the call itself.
func (p *Proxy) inject(w *statusRecorder, r *http.Request, c Call, f *Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	switch {
	case f.Reset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // close with RST, not FIN
			}
			_ = conn.Close()
		}
		return true
	case f.Status != 0:
		f.write(w, c, "testkit-"+strconv.FormatUint(p.reqSeq.Add(1), 10))
		return true
	}
	return false
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// StartProxyT starts a recording proxy to m for the length of t, or skips t
// when MotoMain ran without moto.
func (m *Moto) StartProxyT(t testing.TB) *Proxy {
	t.Helper()
	if m == nil {
		t.Skipf("moto is not available (%s=1)", AllowNoMotoEnv)
	}
	p, err := StartProxy(m.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
