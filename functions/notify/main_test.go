package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// TestBootstrap runs the real bootstrap behind a Lambda Runtime API: it
// reads the webhook from Secrets Manager (moto), takes an SNS event whose
// message is the "lambda" key, and posts Block Kit to the webhook. The
// secret holds a real https://hooks.slack.com/ URL (the only kind the
// notifier accepts); the process reaches the stand-in Slack through an
// HTTPS proxy and trusts its certificate, as it would a corporate proxy.
func TestBootstrap(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()

	var mu sync.Mutex
	var posts []string
	slack, proxyEnv := fakeSlack(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, r.Host+r.URL.Path+" "+string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})
	defer slack.Close()

	cfg, err := moto.Config(ctx, testkit.Region)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("gcguard/slack"), SecretString: aws.String("https://hooks.slack.com/services/T0/B0/x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	env := append(append(moto.Env(), proxyEnv...), notify.EnvSlackSecretARN+"="+aws.ToString(sec.ARN), "GCGUARD_LANGUAGE=en")
	fn := testkit.StartFunctionT(t, ".", env)

	body, err := notify.Message(notify.Sample("roletrust", finding.Fixed), "en", true)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]string
	_ = json.Unmarshal([]byte(body), &keys)
	ev, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{Message: keys[notify.KeyLambda], MessageID: "m-1"}}}})

	ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := fn.Invoke(ictx, ev); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || !strings.HasPrefix(posts[0], "hooks.slack.com/services/T0/B0/x ") ||
		!strings.Contains(posts[0], "gcguard revert 20261124T061402Z-3f9a1c2e") || !strings.Contains(posts[0], `"blocks"`) {
		t.Fatalf("posts: %q", posts)
	}
	if strings.Contains(posts[0], "taro.yamada") {
		t.Error("the masked notice was unmasked on the way")
	}
}

// TestBootstrapRefusesOtherHosts: a secret pointing anywhere but
// hooks.slack.com makes the real bootstrap post nothing and fail the
// invocation (Lambda retries, then keeps the event), with a critical log.
func TestBootstrapRefusesOtherHosts(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	var mu sync.Mutex
	hits := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	defer other.Close()
	cfg, err := moto.Config(ctx, testkit.Region)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("gcguard/slack"), SecretString: aws.String(other.URL + "/services/T0/B0/x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	fn := testkit.StartFunctionT(t, ".", append(moto.Env(), notify.EnvSlackSecretARN+"="+aws.ToString(sec.ARN)))
	body, err := notify.Message(notify.Sample("roletrust", finding.Fixed), "ja", true)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]string
	_ = json.Unmarshal([]byte(body), &keys)
	ev, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{Message: keys[notify.KeyLambda], MessageID: "m-1"}}}})
	ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := fn.Invoke(ictx, ev); err == nil || !strings.Contains(err.Error(), "hooks.slack.com") {
		t.Fatalf("invoke: %v, want the refusal", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Fatal("the notice was posted to a host that is not Slack")
	}
}

// fakeSlack serves h over TLS as hooks.slack.com, behind an HTTPS proxy.
// It returns the server and the environment that routes a process to it:
// HTTPS_PROXY and SSL_CERT_FILE (a CA made for the test).
func fakeSlack(t *testing.T, h http.HandlerFunc) (*httptest.Server, []string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gcguard test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hooks.slack.com"}, DNSNames: []string{"hooks.slack.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	srv.StartTLS()

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect || r.Host != "hooks.slack.com:443" {
			http.Error(w, "only CONNECT hooks.slack.com:443", http.StatusForbidden)
			return
		}
		up, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n")
		go func() { _, _ = io.Copy(up, conn); up.Close() }()
		go func() { _, _ = io.Copy(conn, up); conn.Close() }()
	}))
	t.Cleanup(proxy.Close)

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, []string{"HTTPS_PROXY=" + proxy.URL, "SSL_CERT_FILE=" + caFile}
}
