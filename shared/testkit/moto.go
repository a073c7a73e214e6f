package testkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// MotoInstall is what to install when no moto server can be found.
const MotoInstall = "pip install 'moto[server]==5.2.1'"

// motoStartTimeout bounds one attempt to bring moto up when the caller's
// context has no deadline; moto 5 usually answers within two seconds.
const motoStartTimeout = 45 * time.Second

// Moto is a moto server this process started on a loopback port. Start one
// per test binary: tests in different packages run in parallel, and a reset
// of a shared server would wipe another package's state.
type Moto struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *tailBuffer
	client   *http.Client // own transport: Stop drops its idle connections
	stopOnce sync.Once
}

type motoCommand struct {
	name string
	args []string
}

// motoCommands lists the ways to run moto, best first.
func motoCommands() []motoCommand {
	var cmds []motoCommand
	if p, err := exec.LookPath("moto_server"); err == nil {
		cmds = append(cmds, motoCommand{p, nil})
	}
	for _, py := range []string{"python3", "python"} {
		if p, err := exec.LookPath(py); err == nil {
			cmds = append(cmds, motoCommand{p, []string{"-m", "moto.server"}})
			break
		}
	}
	return cmds
}

// StartMoto starts a moto server on a free loopback port and waits until it
// answers. It tries moto_server on PATH, then `python3 -m moto.server`; when
// neither runs, the error says what to install. The server's output is kept
// for Log.
func StartMoto(ctx context.Context) (*Moto, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, motoStartTimeout)
		defer cancel()
	}
	cmds := motoCommands()
	if len(cmds) == 0 {
		return nil, fmt.Errorf("start moto: neither moto_server nor python3 is on PATH; install it with: %s", MotoInstall)
	}
	var errs []error
	for _, c := range cmds {
		// A port can be taken between choosing and binding it: try twice.
		for range 2 {
			m, err := startMoto(ctx, c)
			if err == nil {
				return m, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil || !strings.Contains(err.Error(), "in use") {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start moto (install it with: %s): %w", MotoInstall, errors.Join(errs...))
}

func startMoto(ctx context.Context, c motoCommand) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port for moto: %w", err)
	}
	args := append(append([]string{}, c.args...), "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd := exec.Command(c.name, args...)
	log := newTailBuffer(256 << 10)
	cmd.Stdout, cmd.Stderr = log, log
	// Moto must not try to reach AWS or pick up a developer's profile.
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+AccessKeyID, "AWS_SECRET_ACCESS_KEY="+SecretAccessKey,
		"AWS_DEFAULT_REGION="+Region, "PYTHONUNBUFFERED=1")
	isolate(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", c.name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	m := &Moto{endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{}), log: log,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	go func() { _ = cmd.Wait(); close(m.exited) }()

	if err := m.waitReady(ctx); err != nil {
		m.Stop()
		return nil, fmt.Errorf("%s %s: %w\n%s", c.name, strings.Join(args, " "), err, tail(log.Bytes(), 2000))
	}
	return m, nil
}

func (m *Moto) waitReady(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		req, _ := http.NewRequestWithContext(attempt, http.MethodGet, m.endpoint+"/moto-api/", nil)
		resp, err := m.client.Do(req)
		cancel()
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-m.exited:
			if strings.Contains(string(m.log.Bytes()), "in use") {
				return errors.New("exited: address in use")
			}
			return fmt.Errorf("exited before answering (%s)", m.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("no answer on %s: %w", m.endpoint, ctx.Err())
		case <-tick.C:
		}
	}
}

// Endpoint is moto's base URL, e.g. http://127.0.0.1:40123.
func (m *Moto) Endpoint() string { return m.endpoint }

// Log is the tail of moto's own output, for diagnosing a failed call.
func (m *Moto) Log() string { return string(m.log.Bytes()) }

// Stop kills moto and everything it started; safe to call more than once.
func (m *Moto) Stop() {
	m.stopOnce.Do(func() {
		stopGroup(m.cmd, m.exited, 3*time.Second)
		m.client.CloseIdleConnections()
	})
}

// Reset wipes every resource moto holds (POST /moto-api/reset).
func (m *Moto) Reset(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto at %s: %w", m.endpoint, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto at %s: %s", m.endpoint, resp.Status)
	}
	return nil
}

// Env is what a child process needs to talk to this moto in Region; see
// ClientEnv. Append AWS_REGION=... after it to use another region.
func (m *Moto) Env() []string { return ClientEnv(m.endpoint, Region) }

// Config is an SDK config talking to this moto in region ("" for Region).
func (m *Moto) Config(ctx context.Context, region string) (aws.Config, error) {
	return ClientConfig(ctx, m.endpoint, region)
}

// AllowNoMotoEnv names the variable that lets MotoMain run a test binary
// without moto, skipping the tests that need it. Unset, a missing moto fails.
const AllowNoMotoEnv = "GCGUARD_ALLOW_NO_MOTO"

// MotoMain runs a test binary's tests with one moto of its own in *dst and
// returns the exit code:
//
//	var moto *testkit.Moto
//	func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }
//
// When moto cannot start, the binary fails unless GCGUARD_ALLOW_NO_MOTO=1;
// then *dst stays nil, a banner says so, and ResetT skips each test that
// needs moto while the rest still run.
func MotoMain(m *testing.M, dst **Moto) int {
	// A fuzz worker (go test -fuzz starts one per core, and again after each
	// crash) only runs the fuzz target, which never needs moto: starting one
	// per worker costs seconds each and, on a busy machine, most of a short
	// -fuzztime.
	if slices.Contains(os.Args[1:], "-test.fuzzworker") {
		*dst = nil
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	moto, err := StartMoto(ctx)
	cancel()
	if err != nil {
		if os.Getenv(AllowNoMotoEnv) == "1" {
			fmt.Fprintf(os.Stderr, "\n%s\n!!! moto is not available: tests that need it are SKIPPED (%s=1)\n!!! %v\n%s\n\n",
				strings.Repeat("!", 72), AllowNoMotoEnv, err, strings.Repeat("!", 72))
			*dst = nil
			return m.Run()
		}
		fmt.Fprintf(os.Stderr, "testkit: %v\n(set %s=1 to skip the tests that need moto instead)\n", err, AllowNoMotoEnv)
		return 1
	}
	*dst = moto
	defer moto.Stop()
	return m.Run()
}

// ResetT gives t an empty moto, or skips t when MotoMain ran without one.
func (m *Moto) ResetT(t testing.TB) {
	t.Helper()
	if m == nil {
		t.Skipf("moto is not available (%s=1)", AllowNoMotoEnv)
	}
	if err := m.Reset(context.Background()); err != nil {
		t.Fatalf("%v\nmoto log:\n%s", err, tail(m.log.Bytes(), 2000))
	}
}
