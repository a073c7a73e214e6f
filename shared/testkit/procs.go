package testkit

import (
	"bytes"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// tailBuffer keeps the last max bytes written to it: enough to explain a
// crash without growing with every request a server logs.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if b.max > 0 && len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf)
}

// tail returns at most n trailing bytes, starting at a line boundary when
// one is near.
func tail(p []byte, n int) string {
	if len(p) <= n {
		return string(p)
	}
	p = p[len(p)-n:]
	if i := bytes.IndexByte(p, '\n'); i >= 0 && i < len(p)-1 {
		p = p[i+1:]
	}
	return "…" + string(p)
}

// isolate puts cmd in its own process group, killed with the test binary if
// it dies first, so neither a crash nor a timeout panic leaves it running.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// stopGroup asks the process group of cmd to end, and kills it after grace.
// exited must be closed once cmd.Wait has returned.
func stopGroup(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	}
	// Anything the leader left behind in its group goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
