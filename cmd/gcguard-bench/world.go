package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// bench is what the sections share: the options, the repo root and one
// local account on moto, started by the first section that needs it.
type bench struct {
	opt  options
	root string
	moto *testkit.Moto
	sb   *sandbox.Sandbox
	// partial, when set, writes the report so far: a long section calls it
	// after each part, so an interrupted run keeps what it measured.
	partial func(*outcome)
}

func newBench(o options) (*bench, error) {
	root, err := testkit.RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("run from the gcguard source tree: %w", err)
	}
	return &bench{opt: o, root: root}, nil
}

// sandbox returns the shared local account, starting moto the first time.
// Every AWS-facing section uses the same moto, so their figures compare.
func (b *bench) sandbox(ctx context.Context) (*sandbox.Sandbox, error) {
	if b.sb != nil {
		return b.sb, nil
	}
	m, err := testkit.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := testkit.ClientConfig(ctx, m.Endpoint(), testkit.Region)
	if err != nil {
		m.Stop()
		return nil, err
	}
	sb, err := sandbox.New(ctx, cfg, testkit.ClientEnv(m.Endpoint(), testkit.Region))
	if err != nil {
		m.Stop()
		return nil, fmt.Errorf("prepare the local account: %w", err)
	}
	b.moto, b.sb = m, sb
	return sb, nil
}

func (b *bench) close() {
	if b.moto != nil {
		b.moto.Stop()
	}
}

// path resolves p against the repo root.
func (b *bench) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.root, p)
}

// event reads an event fixture and puts live values in for placeholders.
func (b *bench) event(path string, replace ...string) ([]byte, error) {
	raw, err := testkit.ReadFixture(b.path(path))
	if err != nil {
		return nil, err
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(raw))), nil
}

// devNull is where the engine's JSON log lines go: they are still
// formatted and written, as in Lambda, but not kept.
func devNull() (*os.File, error) { return os.OpenFile(os.DevNull, os.O_WRONLY, 0) }
