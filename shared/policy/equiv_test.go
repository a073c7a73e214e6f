package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
)

// The evaluator's verdicts and plans, recorded as digests over a fixed
// corpus (every case file and a generated set, under two configurations),
// so that restructuring the request derivation or the evaluator for speed
// cannot change an answer unnoticed. go test -update rewrites the record
// only when an answer is meant to change.

const equivPath = "testdata/trust_equiv.txt"

func equivCorpus(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range caseFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 1500 {
		raw, err := json.Marshal(genPolicy(rng))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

var equivOpts = []TrustOptions{
	testOpt,
	{Account: "111111111111", AllowedPrincipals: []string{"arn:aws:iam::111111111111:role/deployer", "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*"}},
}

// equivAnswer is everything a caller sees from the analysis and the plan.
func equivAnswer(raw []byte, opt TrustOptions) string {
	doc, err := Parse(raw)
	if err != nil {
		return "parse error: " + err.Error()
	}
	r := AnalyzeTrust(doc, opt)
	p, perr := PlanTrust(doc, opt, 2048)
	b, _ := json.Marshal(struct {
		R   TrustReport
		P   TrustPlan
		Err string
	}{r, p, fmt.Sprint(perr)})
	return string(b)
}

func TestTrustAnswersUnchanged(t *testing.T) {
	corpus := equivCorpus(t)
	var lines []string
	for i, raw := range corpus {
		for oi, opt := range equivOpts {
			sum := sha256.Sum256([]byte(equivAnswer(raw, opt)))
			lines = append(lines, fmt.Sprintf("%d/%d %s", i, oi, hex.EncodeToString(sum[:12])))
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(equivPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(equivPath)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	wl := strings.Split(string(want), "\n")
	for i, l := range lines {
		if i >= len(wl) || wl[i] != l {
			var ci, oi int
			fmt.Sscanf(l, "%d/%d", &ci, &oi)
			t.Fatalf("answer %s changed (was %q)\ninput: %s\nnow: %s", l, wl[min(i, len(wl)-1)], corpus[ci], equivAnswer(corpus[ci], equivOpts[oi]))
		}
	}
}

// Request sets are recycled between judgements (and the fixed classes
// cached per configuration): judgements running at once, under different
// configurations, must still give the answers they give alone.
func TestTrustAnswersConcurrent(t *testing.T) {
	corpus := equivCorpus(t)
	n := 300
	if testing.Short() {
		n = 60
	}
	corpus = corpus[len(corpus)-n:]
	want := make([][]string, len(equivOpts))
	for oi, opt := range equivOpts {
		for _, raw := range corpus {
			want[oi] = append(want[oi], equivAnswer(raw, opt))
		}
	}
	errs := make(chan string, 8)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range corpus {
				i := (k*7 + g*13) % len(corpus)
				oi := (k + g) % len(equivOpts)
				if got := equivAnswer(corpus[i], equivOpts[oi]); got != want[oi][i] {
					errs <- fmt.Sprintf("policy %s under options %d: concurrent answer\n%s\nalone\n%s", corpus[i], oi, got, want[oi][i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
