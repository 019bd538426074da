package load

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tartansim/tartansim/show"
)

// WriteHTML writes r as one self-contained HTML page for people who would
// rather look than read: a chart of latency over time (p50, p99 and max of
// each second of the Timeline, on a log scale), a chart of sends and errors
// per second, and tables of the counts, the rates, the percentiles of
// latency, service time and schedule lag, the statuses and the error
// classes, with the target, profile and seed.
//
// The page has no script and loads nothing: its CSS is inline and its
// charts are inline SVG, so it can be mailed, archived as a CI artefact or
// opened offline. Every value taken from the report is escaped. The markup
// is also well-formed XML. The same report gives the same bytes (the page
// carries no clock reading of its own). A nil histogram counts as empty.
func WriteHTML(w io.Writer, r *Report) error {
	if err := htmlPage.Execute(w, newHTMLView(r)); err != nil {
		return show.Refuse("load", "html report: %w", err)
	}
	return nil
}

// Chart geometry, in SVG user units: the plot area is inset by the margins.
const (
	chartW, chartH             = 960.0, 300.0
	marginL, marginR           = 64.0, 16.0
	marginT, marginB           = 16.0, 36.0
	plotW, plotH               = chartW - marginL - marginR, chartH - marginT - marginB
	maxHoverSeconds            = 3600 // above this many seconds, no per-second tooltips
	latencyFloorMs, minDecades = 0.01, 2
)

type htmlView struct {
	Title      string
	Facts      []fact
	Counts     []fact
	PctNames   []string
	Pcts       []pctRow
	Statuses   []fact
	Classes    []fact
	Latency    chart
	Throughput chart
}

type fact struct{ Name, Value string }

type pctRow struct {
	Name   string
	Values []string
}

type chart struct {
	Empty      bool
	Width      float64 // of the viewBox
	Height     float64
	PlotLeft   float64
	PlotTop    float64
	Series     []series
	XTicks     []tick
	YTicks     []tick
	YLabel     string
	Hover      []hover
	PlotBottom float64
	PlotRight  float64
}

type series struct {
	Name, Class string
	// Path is SVG path data, "Mx,y h0 Lx,y …": a point (M or L) per
	// second that has a value, a gap (a new M) where one has none.
	Path string
}

type tick struct {
	Pos   float64
	Label string
}

type hover struct {
	X, W  float64
	Title string
}

func newHTMLView(r *Report) htmlView {
	v := htmlView{Title: "tartansim load report"}
	if r.Target != "" {
		v.Title += ": " + r.Target
	}
	shard := r.Shard
	switch {
	case len(r.Parts) > 0:
		shard = "merged: " + strings.Join(r.Parts, " ")
		if len(r.Missing) > 0 {
			shard += "; missing: " + strings.Join(r.Missing, " ")
		}
	case shard == "" && r.Segment != "":
		shard = "segment " + r.Segment
	case shard == "":
		shard = "all"
	}
	targetRate, achieved := "none (a closed model: each worker sends when answered)", fmt.Sprintf("%.1f/s", r.AchievedRate())
	if r.Rate > 0 {
		targetRate = fmt.Sprintf("%.1f/s", r.Rate)
		achieved += fmt.Sprintf(" (%.2f%% of target)", r.AchievedRate()/r.Rate*100)
	}
	v.Facts = []fact{
		{"target", r.Target},
		{"profile", r.Profile},
		{"seed", fmt.Sprint(r.Seed)},
		{"shard", shard},
		{"elapsed", r.Elapsed.Round(time.Millisecond).String()},
		{"target rate", targetRate},
		{"achieved rate", achieved},
		{"error rate", fmt.Sprintf("%.3f%%", r.ErrorRate()*100)},
	}
	if r.Interrupted {
		v.Facts = append(v.Facts, fact{"interrupted", "yes: the run was stopped before its end"})
	}
	v.Counts = []fact{
		{"planned", fmt.Sprint(r.Planned)}, {"sent", fmt.Sprint(r.Sent)}, {"ok", fmt.Sprint(r.OK)},
		{"errors", fmt.Sprint(r.Errors())}, {"dropped", fmt.Sprint(r.Dropped)}, {"late", fmt.Sprint(r.Late)},
		{"max in flight", fmt.Sprint(r.MaxInFlight)},
	}
	for _, p := range Percentiles {
		v.PctNames = append(v.PctNames, PercentileName(p))
	}
	for _, h := range r.Histograms() {
		row := pctRow{Name: h.Name}
		for _, p := range Percentiles {
			q := "n/a"
			if h.Histogram != nil && h.TotalCount() > 0 {
				q = r.Quantile(h.Histogram, p).Round(time.Microsecond).String()
			}
			row.Values = append(row.Values, q)
		}
		v.Pcts = append(v.Pcts, row)
	}
	v.Statuses, v.Classes = sortedFacts(r.Statuses), sortedFacts(r.Classes)
	v.Latency, v.Throughput = latencyChart(r.Timeline), throughputChart(r.Timeline)
	return v
}

func sortedFacts(m map[string]int64) []fact {
	var out []fact
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fact{k, fmt.Sprint(m[k])})
	}
	return out
}

// xAxis maps Timeline index i of n to a horizontal position, and gives
// whole-second ticks at a round step.
func xAxis(tl []Second) (func(i int) float64, []tick) {
	n := len(tl)
	x := func(i int) float64 {
		if n <= 1 {
			return marginL + plotW/2
		}
		return marginL + plotW*float64(i)/float64(n-1)
	}
	step := niceStep(float64(tl[n-1].At-tl[0].At), 10)
	var ticks []tick
	first := tl[0].At
	for i, s := range tl {
		if (s.At-first)%int(max(step, 1)) == 0 {
			ticks = append(ticks, tick{x(i), fmt.Sprintf("%ds", s.At)})
		}
	}
	return x, ticks
}

// niceStep is a 1, 2 or 5 times a power of ten that cuts span into at most
// about parts pieces.
func niceStep(span float64, parts int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(parts)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func newChart(tl []Second, what string) chart {
	return chart{Empty: len(tl) == 0, YLabel: what, Width: chartW, Height: chartH,
		PlotLeft: marginL, PlotTop: marginT, PlotBottom: marginT + plotH, PlotRight: marginL + plotW}
}

// latencyChart plots p50, p99 and max per second on a log scale of whole
// decades of milliseconds. A second with no sends plots at the floor.
func latencyChart(tl []Second) chart {
	c := newChart(tl, "latency")
	if c.Empty {
		return c
	}
	lo, hi := math.Inf(1), latencyFloorMs
	for _, s := range tl {
		for _, v := range []float64{s.P50, s.P99, s.Max} {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo = 1
	}
	dlo := math.Floor(math.Log10(math.Max(lo, latencyFloorMs)))
	dhi := math.Max(math.Ceil(math.Log10(hi)), dlo+minDecades)
	y := func(ms float64) float64 {
		d := math.Log10(math.Max(ms, math.Pow(10, dlo)))
		return marginT + plotH*(1-(d-dlo)/(dhi-dlo))
	}
	for d := dlo; d <= dhi; d++ {
		c.YTicks = append(c.YTicks, tick{y(math.Pow(10, d)), msLabel(math.Pow(10, d))})
	}
	x, xt := xAxis(tl)
	c.XTicks = xt
	for _, s := range []struct {
		name, class string
		get         func(Second) float64
	}{
		{"max", "max", func(s Second) float64 { return s.Max }},
		{"p99", "p99", func(s Second) float64 { return s.P99 }},
		{"p50", "p50", func(s Second) float64 { return s.P50 }},
	} {
		// A second in which nothing completed has no latency: a gap, not
		// a point at the floor that would read as fast.
		c.Series = append(c.Series, series{s.name, s.class, path(tl, x, func(sec Second) (float64, bool) {
			return y(s.get(sec)), sec.Sent > 0
		})})
	}
	c.Hover = hovers(tl, x)
	return c
}

// throughputChart plots sends and errors per second on a linear scale.
func throughputChart(tl []Second) chart {
	c := newChart(tl, "sends")
	if c.Empty {
		return c
	}
	var top int64 = 1
	for _, s := range tl {
		top = max(top, s.Sent)
	}
	step := max(niceStep(float64(top), 5), 1) // sends are whole: no tick at 0.5
	yMax := math.Ceil(float64(top)/step) * step
	y := func(v int64) float64 { return marginT + plotH*(1-float64(v)/yMax) }
	for v := 0.0; v <= yMax; v += step {
		c.YTicks = append(c.YTicks, tick{y(int64(v)), fmt.Sprintf("%g", v)})
	}
	x, xt := xAxis(tl)
	c.XTicks = xt
	for _, s := range []struct {
		name, class string
		get         func(Second) int64
	}{
		{"sent", "sent", func(s Second) int64 { return s.Sent }},
		{"errors", "errors", func(s Second) int64 { return s.Errors }},
	} {
		c.Series = append(c.Series, series{s.name, s.class, path(tl, x, func(sec Second) (float64, bool) {
			return y(s.get(sec)), true
		})})
	}
	c.Hover = hovers(tl, x)
	return c
}

// hovers are transparent bands, one per second, whose SVG title is the
// second's numbers: a tooltip without script.
func hovers(tl []Second, x func(int) float64) []hover {
	if len(tl) > maxHoverSeconds {
		return nil
	}
	w := plotW
	if len(tl) > 1 {
		w = plotW / float64(len(tl)-1)
	}
	out := make([]hover, len(tl))
	for i, s := range tl {
		out[i] = hover{X: x(i) - w/2, W: w, Title: fmt.Sprintf("%ds: sent %d, errors %d, p50 %s, p99 %s, max %s",
			s.At, s.Sent, s.Errors, msLabel(s.P50), msLabel(s.P99), msLabel(s.Max))}
	}
	return out
}

// path draws a line through the seconds for which at gives a y, lifting
// the pen over those for which it gives none.
func path(tl []Second, x func(int) float64, at func(Second) (float64, bool)) string {
	var b strings.Builder
	pen := "M"
	for i, sec := range tl {
		y, ok := at(sec)
		if !ok {
			pen = "M"
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%.1f,%.1f", pen, x(i), y)
		if pen == "M" {
			b.WriteString(" h0") // so that a lone point shows as a dot
		}
		pen = "L"
	}
	return b.String()
}

// msLabel formats milliseconds as a short duration: 0.01ms is "10µs".
func msLabel(ms float64) string {
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Microsecond).String()
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"sub": func(a, b float64) float64 { return a - b },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1000px; padding: 0 1em; color: #1d232a; background: #fff; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; overflow-wrap: anywhere; }
h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.4em 0; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #dde2e7; text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
.facts td { text-align: left; overflow-wrap: anywhere; }
.warn { color: #a4161a; font-weight: bold; }
svg { width: 100%; height: auto; display: block; }
svg text { font-size: 12px; fill: #55606b; }
.grid { stroke: #e4e8ec; stroke-width: 1; }
.axis { stroke: #55606b; stroke-width: 1; }
path { fill: none; stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round; }
.p50 { stroke: #2b70c9; } .p99 { stroke: #d9822b; } .max { stroke: #a4161a; stroke-dasharray: 4 3; }
.sent { stroke: #2b8a3e; } .errors { stroke: #a4161a; }
.hover { fill: transparent; } .hover:hover { fill: rgba(43, 112, 201, 0.12); }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: 1.6em; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 0.3em; }
.legend .p50 { border-color: #2b70c9; } .legend .p99 { border-color: #d9822b; } .legend .max { border-color: #a4161a; border-top-style: dashed; }
.legend .sent { border-color: #2b8a3e; } .legend .errors { border-color: #a4161a; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table class="facts">
{{- range .Facts}}
<tr><th>{{.Name}}</th><td{{if eq .Name "interrupted"}} class="warn"{{end}}>{{.Value}}</td></tr>
{{- end}}
</table>

<h2>Latency over time</h2>
<p>The p50, p99 and maximum latency of each second of the timeline, measured from each send's intended time, on a log scale; a gap is a second in which no send completed. Hover over a second for its numbers.</p>
{{template "chart" .Latency}}

<h2>Sends and errors per second</h2>
{{template "chart" .Throughput}}

<h2>Percentiles</h2>
<table>
<tr><th></th>{{range .PctNames}}<th>{{.}}</th>{{end}}</tr>
{{- range .Pcts}}
<tr><td>{{.Name}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table>

<h2>Counts</h2>
<table>
{{- range .Counts}}
<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{- end}}
</table>

<h2>Statuses</h2>
{{- if .Statuses}}
<table>
<tr><th>HTTP status</th><th>answers</th></tr>
{{- range .Statuses}}
<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No answers.</p>
{{- end}}

<h2>Error classes</h2>
{{- if .Classes}}
<table>
<tr><th>class</th><th>sends</th></tr>
{{- range .Classes}}
<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No sends.</p>
{{- end}}
</body>
</html>
{{define "chart"}}
{{- if .Empty}}<p>No seconds recorded.</p>
{{- else}}
<div class="legend">{{range .Series}}<span><i class="{{.Class}}"></i>{{.Name}}</span>{{end}}</div>
<svg viewBox="0 0 {{f1 .Width}} {{f1 .Height}}" role="img" aria-label="{{.YLabel}} per second of the run">
{{- $l := .PlotLeft}}{{$t := .PlotTop}}{{$b := .PlotBottom}}{{$r := .PlotRight}}
{{- range .YTicks}}
<line class="grid" x1="{{f1 $l}}" x2="{{f1 $r}}" y1="{{f1 .Pos}}" y2="{{f1 .Pos}}"/>
<text x="{{f1 (sub $l 6)}}" y="{{f1 .Pos}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{- end}}
{{- range .XTicks}}
<line class="axis" x1="{{f1 .Pos}}" x2="{{f1 .Pos}}" y1="{{f1 $b}}" y2="{{f1 (sub $b -4)}}"/>
<text x="{{f1 .Pos}}" y="{{f1 (sub $b -18)}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
<line class="axis" x1="{{f1 $l}}" x2="{{f1 $r}}" y1="{{f1 $b}}" y2="{{f1 $b}}"/>
<line class="axis" x1="{{f1 $l}}" x2="{{f1 $l}}" y1="{{f1 $t}}" y2="{{f1 $b}}"/>
{{- range .Series}}
<path class="{{.Class}}" d="{{.Path}}"><title>{{.Name}}</title></path>
{{- end}}
{{- range .Hover}}
<rect class="hover" x="{{f1 .X}}" y="{{f1 $t}}" width="{{f1 .W}}" height="{{f1 (sub $b $t)}}"><title>{{.Title}}</title></rect>
{{- end}}
</svg>
{{- end}}
{{end}}`))
