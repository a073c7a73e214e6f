package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

var jst = time.FixedZone("JST", 9*60*60)

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"w":        func(k string) bi { return word(k) },
	"sev":      func(s Severity) bi { return severityWords[s] },
	"status":   func(s Status) bi { return statusWords[s] },
	"rulename": ruleName,
	"reason":   reasonOf,
	"codes":    codes,
	"both": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jst).Format("2006-01-02 15:04:05 JST") + " (" + t.UTC().Format("15:04:05 UTC") + ")"
	},
	"lines": func(s []string) string { return strings.Join(s, "\n") },
	"chart": chart,
	"count": func(m map[Severity]int, s string) int { return m[Severity(s)] },
}).Parse(htmlSource))

// RenderHTML writes the report as one self-contained HTML file: inline CSS,
// inline JavaScript for the ja/en switch and the severity filter, an inline
// SVG chart, and no reference to anything on the network.
func RenderHTML(w io.Writer, m Model) error {
	if err := htmlTmpl.Execute(w, m); err != nil {
		return fmt.Errorf("render the HTML report: %w", err)
	}
	return nil
}

var sevColor = map[Severity]string{Critical: "#c62828", High: "#ef6c00", NotAssessed: "#6a1b9a", Info: "#1565c0"}

// chart draws findings per rule as stacked horizontal bars, one colour per
// severity, as inline SVG.
func chart(m Model) template.HTML {
	const labelW, barW, rowH, top = 210, 520, 30, 8
	max := 1
	for _, r := range m.Summary.Rules {
		n := 0
		for _, c := range r.BySeverity {
			n += c
		}
		max = maxInt(max, n)
	}
	h := top*2 + rowH*len(m.Summary.Rules) + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`,
		labelW+barW+60, h, labelW+barW+60, h)
	for i, r := range m.Summary.Rules {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`, labelW-10, y+19, template.HTMLEscapeString(r.Rule))
		x, total := labelW, 0
		for _, s := range Severities {
			n := r.BySeverity[s]
			if n == 0 {
				continue
			}
			wd := n * barW / max
			fmt.Fprintf(&b, `<rect class="bar" data-rule="%s" data-severity="%s" data-count="%d" x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s"><title>%s %s: %d</title></rect>`,
				template.HTMLEscapeString(r.Rule), s, n, x, y+4, maxInt(wd, 2), rowH-8, sevColor[s], template.HTMLEscapeString(r.Rule), s, n)
			x += wd
			total += n
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="num">%d</text>`, x+6, y+19, total)
	}
	y := top + len(m.Summary.Rules)*rowH + 16
	x := labelW
	for _, s := range Severities {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s"/><text x="%d" y="%d" class="leg"><tspan lang="ja">%s</tspan><tspan lang="en">%s</tspan></text>`,
			x, y-10, sevColor[s], x+16, y, severityWords[s].JA, severityWords[s].EN)
		x += 110
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
