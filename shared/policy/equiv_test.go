package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
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
