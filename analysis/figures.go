package analysis

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// FigureOptions says how WriteFigures renders.
//
// The default is one column of a two-column paper: 3.5 × 2.6 in, with 7–9
// pt text, so a figure is included at 100% and its text matches a caption.
// For a figure spanning both columns use TwoColumnFigureOptions (7 in wide);
// text keeps its size in points, so it stays readable at either width.
type FigureOptions struct {
	Width, Height vg.Length
	// Formats are file extensions: png, svg, pdf (also jpg, tif, tex).
	// Every format shows the same text, ρ, → and ∞ included: PDF as real
	// text in embedded fonts, tex as a PGF picture to \input in a LaTeX
	// document that loads pgf. There is no EPS: gonum/plot's PostScript
	// embeds no fonts and has no glyphs beyond Latin-1.
	Formats []string
	// DPI is the resolution of raster formats.
	DPI int
	// CDFLoads are the loads at which the cdf figure shows the
	// distribution of response time, one panel each; each must be a load
	// of the sweep. None: the load nearest the middle of each workload's
	// range of loads.
	CDFLoads []float64
	// NoTitles leaves out the figures' titles, for papers whose captions
	// carry them; the panels of a multi-panel figure keep their short
	// names, which tell them apart.
	NoTitles bool
	// Metrics are metrics of the registry (Metrics) to draw each in a
	// figure of its own, METRIC_vs_AXIS, against the sweep's axis (load
	// by default). A sweep along another axis draws only these (default:
	// DefaultAxisMetrics); a sweep along load draws them besides its usual
	// figures.
	Metrics []string
}

// DefaultFigureOptions returns one-column figures (3.5 × 2.6 in) as PNG at
// 300 dpi, SVG and PDF.
func DefaultFigureOptions() FigureOptions {
	return FigureOptions{
		Width:   3.5 * vg.Inch,
		Height:  2.6 * vg.Inch,
		Formats: []string{"png", "svg", "pdf"},
		DPI:     300,
	}
}

// TwoColumnFigureOptions returns the default options for figures that span
// both columns of a paper: 7 × 3 in.
func TwoColumnFigureOptions() FigureOptions {
	o := DefaultFigureOptions()
	o.Width, o.Height = 7*vg.Inch, 3*vg.Inch
	return o
}

// Validate reports a format WriteFigures does not know, or a negative
// size or resolution; zero values take their defaults.
func (o FigureOptions) Validate() error {
	if o.Width < 0 || o.Height < 0 || o.DPI < 0 {
		return fmt.Errorf("figure size %v × %v at %d dpi: want positive values (or 0 for the default)", o.Width, o.Height, o.DPI)
	}
	if err := stats.CheckMetrics(o.Metrics); err != nil {
		return fmt.Errorf("figure metric %w", err)
	}
	_, err := figureFormats(o)
	return err
}

func (o FigureOptions) withDefaults() FigureOptions {
	d := DefaultFigureOptions()
	if o.Width <= 0 {
		o.Width = d.Width
	}
	if o.Height <= 0 {
		o.Height = d.Height
	}
	if len(o.Formats) == 0 {
		o.Formats = d.Formats
	}
	if o.DPI <= 0 {
		o.DPI = d.DPI
	}
	return o
}

// xyPoint is a point of a series: y with its confidence interval [lo, hi]
// (NaN: none).
type xyPoint struct{ x, y, lo, hi float64 }

// series is one line of a panel: a policy's measurements or a theory curve.
type series struct {
	name   string
	look   look // a policy's
	style  int  // a theory curve's: index in theoryStyles
	theory bool
	key    bool // a legend entry only, that explains a style
	pts    []xyPoint
	marks  []xyPoint // points that get a marker; nil: all of pts
}

// panel is one set of axes.
type panel struct {
	title, xLabel, yLabel  string
	series                 []series
	logX, logY             bool
	xTicks                 int  // labels wanted on the x axis (0: default)
	fixedY                 bool // the y range may not grow to make room for the legend
	xMin, xMax, yMin, yMax float64
}

// corner is a legend position inside a panel's data area.
type corner struct{ top, left bool }

var (
	topLeft     = corner{true, true}
	topRight    = corner{true, false}
	bottomLeft  = corner{false, true}
	bottomRight = corner{false, false}
)

// figure is one output figure: one or more panels side by side, a shared
// legend, and the CSV of the data it plots.
type figure struct {
	base    string // file name without extension
	title   string // overall title above several panels
	panels  []panel
	corners []corner // legend positions to try, best first
	// headroom allows raising the top of the y axes to fit the legend in a
	// corner.
	headroom bool
	csv      [][]string
}

// WriteFigures writes the figures of a sweep into dir, creating it if
// needed. For each workload W (file names prefixed with "W_", sanitized,
// when there are several workloads) it writes, in every format of opt:
//
//   - response: mean response time vs load, one line per policy with 95%
//     CI bars, and dashed theory curves (TheoryCurves of W's first cell);
//   - p99: 99th percentile of response time vs load with CI bars;
//   - normalized: mean response time divided by the no-sharing theory
//     curve, when W has one;
//   - overhead: two panels, migrations per job and probes per job vs load,
//     and a third, bytes sent per job (Result.BytesPerJob: transfers'
//     job_bytes and work units' segments), when any policy moves bytes;
//   - utilization: two panels, mean utilisation vs load with bars from
//     the least to the most utilised node, and that spread (most minus
//     least), when the records carry node utilisations;
//   - gossip: the age of the gossiped load decisions read vs load, for the
//     policies that read gossip; none when no policy does (see
//     gossipFigure);
//   - cdf: CDF of response time (log x axis, from about the fastest 1% of
//     jobs) at each load of opt.CDFLoads, one panel each, by default at
//     the load nearest the middle of W's range, when the cells carry
//     histograms;
//   - mobility_bytes, mobility_time, mobility_hit_rate, mobility_hit_time: the costs of code
//     migration, when W's records carry work units (Point.Units); see
//     mobilityFigures.
//
// Next to each figure a CSV holds exactly the data it plots: columns
// workload, policy, load, value, ci_low, ci_high (overhead adds metric
// first; theory curves appear with their name as policy and empty CI
// columns; bytes per job in bytes, whatever unit the panel shows; gossip
// has overhead's columns); for the CDF, policy, load, value, fraction; for
// utilization, workload, policy, load, value, node_min, node_max, spread.
//
// Response-time axes switch to a log scale when the measurements span
// more than a factor of 30 (one policy blowing up near saturation would
// otherwise flatten all the others) and all are positive. A legend goes in
// the emptiest corner of a plot that no data crosses, else in columns
// below it.
//
// A policy's colour and marker come from its name, the same in every
// sweep; policies only break ties between names, in their order then in
// order of first appearance in cells (see policyLooks). Files are written
// with results.WriteFileAtomic, so a reader never sees a partial file.
// WriteFigures returns the paths written, sorted.
func WriteFigures(dir string, cells []stats.Cell, policies []string, opt FigureOptions) ([]string, error) {
	figs, err := sweepFigures(cells, policies, opt)
	if err != nil {
		return nil, err
	}
	return writeFigureSet(dir, figs, opt)
}

// writeFigureSet writes figs into dir, creating it when there are
// figures, in every format of opt, and returns the paths written, sorted.
func writeFigureSet(dir string, figs []figure, opt FigureOptions) ([]string, error) {
	opt = opt.withDefaults()
	formats, err := figureFormats(opt)
	if err != nil || len(figs) == 0 {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	paths, err := writeEach(nil, dir, "", figs, formats, opt)
	sort.Strings(paths)
	return paths, err
}

// sweepFigures builds the figures WriteFigures writes, each base name
// prefixed as its workload's files are.
func sweepFigures(cells []stats.Cell, policies []string, opt FigureOptions) ([]figure, error) {
	if err := checkCDFLoads(cells, opt.CDFLoads); err != nil {
		return nil, err
	}
	var drawn []policyLabel
	for _, c := range cells {
		drawn = append(drawn, policyLabel{c.Policy, c.Point.Backend})
	}
	looks := policyLooks(policies, drawn)
	workloads := stats.Workloads(cells)
	prefixes := filePrefixes(workloads)
	var figs []figure
	for _, w := range workloads {
		var wc []stats.Cell
		for _, c := range cells {
			if c.Workload == w {
				wc = append(wc, c)
			}
		}
		var fs []figure
		switch {
		case wc[0].Axis != "":
			names := opt.Metrics
			if len(names) == 0 {
				names = DefaultAxisMetrics(wc)
			}
			fs = metricFigures(w, wc, looks, names)
		default:
			fs = append(workloadFigures(w, wc, looks, opt.CDFLoads), metricFigures(w, wc, looks, opt.Metrics)...)
		}
		for _, f := range fs {
			f.base = prefixes[w] + f.base
			figs = append(figs, f)
		}
	}
	return figs, nil
}

// checkCDFLoads reports a load of loads that no cell has, naming the
// loads there are.
func checkCDFLoads(cells []stats.Cell, loads []float64) error {
	have := map[float64]bool{}
	var all []float64
	for _, c := range cells {
		if !have[c.Load] {
			have[c.Load] = true
			all = append(all, c.Load)
		}
	}
	for _, l := range loads {
		if !have[l] {
			sort.Float64s(all)
			text := make([]string, len(all))
			for i, a := range all {
				text[i] = formatFloat(a)
			}
			return fmt.Errorf("CDF load %s: not a load of the sweep; choose among %s", formatFloat(l), strings.Join(text, ", "))
		}
	}
	return nil
}

// writeEach writes figs into dir, each file named prefix + its base, and
// appends the paths written to paths.
func writeEach(paths []string, dir, prefix string, figs []figure, formats []string, opt FigureOptions) ([]string, error) {
	for _, fig := range figs {
		written, err := fig.write(filepath.Join(dir, prefix+fig.base), formats, opt)
		paths = append(paths, written...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// figureFormats returns the formats of opt in lower case without a dot,
// or an error naming one it does not know.
func figureFormats(opt FigureOptions) ([]string, error) {
	formats := make([]string, len(opt.Formats))
	for i, f := range opt.Formats {
		f = strings.ToLower(strings.TrimPrefix(f, "."))
		if f == "eps" {
			return nil, fmt.Errorf("figure format %q: EPS is not written, as it cannot embed the fonts for ρ, → or ∞; use pdf (pdflatex takes it) or svg", opt.Formats[i])
		}
		if !knownFormat(f) {
			return nil, fmt.Errorf("figure format %q: want one of png, svg, pdf, jpg, tif, tex", opt.Formats[i])
		}
		formats[i] = f
	}
	return formats, nil
}

// write renders the figure as base.F for each format F and writes its CSV
// as base.csv, each file atomically; it returns the paths written.
func (fig figure) write(base string, formats []string, opt FigureOptions) ([]string, error) {
	if opt.NoTitles {
		fig = fig.untitled()
	}
	var paths []string
	for _, f := range formats {
		b, err := fig.render(f, opt)
		if err != nil {
			return paths, fmt.Errorf("figure %s.%s: %w", base, f, err)
		}
		if err := results.WriteFileAtomic(base+"."+f, b); err != nil {
			return paths, err
		}
		paths = append(paths, base+"."+f)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.WriteAll(fig.csv) // writes to memory; cannot fail
	if err := results.WriteFileAtomic(base+".csv", buf.Bytes()); err != nil {
		return paths, err
	}
	return append(paths, base+".csv"), nil
}

// untitled returns the figure without its title: the figure's own and a
// lone panel's.
func (fig figure) untitled() figure {
	fig.title = ""
	if len(fig.panels) == 1 {
		fig.panels = []panel{fig.panels[0]}
		fig.panels[0].title = ""
	}
	return fig
}

func knownFormat(f string) bool {
	switch f {
	case "png", "svg", "pdf", "jpg", "jpeg", "tif", "tiff", "tex":
		return true
	}
	return false
}

// filePrefixes maps each workload to its file-name prefix: none for a
// single workload, else the name reduced to [A-Za-z0-9._-] plus "_",
// numbered when two names reduce to the same.
func filePrefixes(workloads []string) map[string]string {
	out := map[string]string{}
	if len(workloads) == 1 {
		out[workloads[0]] = ""
		return out
	}
	used := map[string]bool{}
	for _, w := range workloads {
		s := strings.Map(func(r rune) rune {
			if r == '.' || r == '_' || r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
				return r
			}
			return '_'
		}, w)
		s = strings.Trim(s, "._")
		if s == "" {
			s = "workload"
		}
		p := s
		for i := 2; used[p]; i++ {
			p = s + "-" + strconv.Itoa(i)
		}
		used[p] = true
		out[w] = p + "_"
	}
	return out
}

const (
	loadLabel     = "load ρ (per server)"
	responseUnits = " (× mean service)"
)

// workloadFigures builds the figures of one workload from its cells.
// cdfLoads are the loads of its CDF panels (none: the middle one).
func workloadFigures(w string, cells []stats.Cell, looks map[string]look, cdfLoads []float64) []figure {
	var loads []float64
	for _, c := range cells {
		loads = append(loads, c.Load)
	}
	xMin, xMax := loadSpan(loads)
	byPolicy := groupByPolicy(cells, looks)
	curves := stats.TheoryCurves(cells[0].Point)
	xLabel := loadLabel
	if VaryingLoad(cells[0].Point) != nil { // not a steady state: say so where the load is read
		xLabel = "base load ρ per server (it varies over time: means over each run)"
	}
	seen := map[string]bool{}
	for _, c := range cells {
		if cv, ok := stats.PolicyCurve(c.Point); ok && !seen[cv.Name] {
			seen[cv.Name] = true
			curves = append(curves, cv)
		}
	}
	header := []string{"workload", "policy", "load", "value", "ci_low", "ci_high"}
	corners := []corner{topLeft, bottomRight, topRight, bottomLeft}
	var figs []figure

	// measured adds one series per policy, get giving a cell's value and
	// CI half-width (ok false to leave the cell out), and their CSV rows.
	// Cells without a finite value are left out.
	measured := func(pn *panel, rows *[][]string, metric string, get func(stats.Cell) (v, half float64, ok bool)) {
		for _, pc := range byPolicy {
			s := series{name: pc.policy, look: pc.look}
			for _, c := range pc.cells {
				v, h, ok := get(c)
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				pt := xyPoint{c.Load, v, v - h, v + h}
				s.pts = append(s.pts, pt)
				row := csvRow(w, pc.policy, pt)
				if metric != "" {
					row = append([]string{metric}, row...)
				}
				*rows = append(*rows, row)
			}
			pn.series = append(pn.series, s)
		}
	}
	// theory adds the theory curves, divided by ref when it is not nil.
	theory := func(pn *panel, rows *[][]string, ref *stats.Curve) {
		for i, cv := range curves {
			f := cv.F
			if ref != nil {
				f = func(x float64) float64 { return cv.F(x) / ref.F(x) }
			}
			s := theorySeries(cv.Name, i, f, xMin, xMax, pn.limit())
			pn.series = append(pn.series, s)
			for _, pt := range s.pts {
				*rows = append(*rows, csvRow(w, cv.Name, pt))
			}
		}
	}

	// Mean response time. Theory curves go to infinity at ρ = 1: the axis
	// stops at 1.3 times the highest measurement.
	resp := panel{title: w + ": mean response time vs load", xLabel: xLabel, yLabel: "mean response time" + responseUnits, xMin: xMin, xMax: xMax}
	respCSV := [][]string{header}
	measured(&resp, &respCSV, "", func(c stats.Cell) (float64, float64, bool) { return c.Mean, c.MeanHalf, true })
	resp.fitY(1.3, true)
	theory(&resp, &respCSV, nil)
	figs = append(figs, figure{base: "response", panels: []panel{resp}, corners: corners, headroom: true, csv: respCSV})

	// 99th percentile.
	p99 := panel{title: w + ": p99 response time vs load", xLabel: xLabel, yLabel: "p99 response time" + responseUnits, xMin: xMin, xMax: xMax}
	p99CSV := [][]string{header}
	measured(&p99, &p99CSV, "", func(c stats.Cell) (float64, float64, bool) { return c.P99, c.P99Half, true })
	p99.fitY(1.1, true)
	figs = append(figs, figure{base: "p99", panels: []panel{p99}, corners: corners, headroom: true, csv: p99CSV})

	// Normalised to the no-sharing curve.
	if ref := noSharing(curves); ref != nil {
		short, _, _ := strings.Cut(ref.Name, " (")
		norm := panel{title: w + ": mean response time / " + short, xLabel: xLabel, yLabel: "mean response / " + short, xMin: xMin, xMax: xMax}
		normCSV := [][]string{header}
		measured(&norm, &normCSV, "", func(c stats.Cell) (float64, float64, bool) {
			r := ref.F(c.Load)
			return c.Mean / r, c.MeanHalf / r, r > 0 && !math.IsInf(r, 0)
		})
		norm.fitY(1.1, true)
		norm.yMax = max(norm.yMax, niceTop(1.1)) // keep the no-sharing line in view
		theory(&norm, &normCSV, ref)
		figs = append(figs, figure{base: "normalized", panels: []panel{norm}, corners: []corner{bottomLeft, topLeft, topRight, bottomRight}, csv: normCSV})
	}

	// Overheads.
	ovCSV := [][]string{append([]string{"metric"}, header...)}
	overhead := func(metric, label string, get func(stats.Cell) (float64, float64, bool)) panel {
		pn := panel{xLabel: xLabel, yLabel: label, xMin: xMin, xMax: xMax, xTicks: 3}
		measured(&pn, &ovCSV, metric, get)
		pn.fitY(1.1, false)
		return pn
	}
	migs := overhead("migrations_per_job", "migrations per job", func(c stats.Cell) (float64, float64, bool) { return c.MigrationsPerJob, c.MigrationsPerJobHalf, true })
	probes := overhead("probes_per_job", "probes per job", func(c stats.Cell) (float64, float64, bool) { return c.ProbesPerJob, c.ProbesPerJobHalf, true })
	ovPanels := []panel{migs, probes}
	if hi := maxBytesPerJob(cells); hi > 0 {
		// Bytes in a unit that reads well; the CSV keeps bytes.
		scale, unit := byteUnit(hi)
		bytes := overhead("bytes_per_job", unit+" per job", func(c stats.Cell) (float64, float64, bool) {
			return c.BytesPerJob, c.BytesPerJobHalf, true
		})
		for i := range bytes.series {
			for j, p := range bytes.series[i].pts {
				bytes.series[i].pts[j] = xyPoint{p.x, p.y / scale, p.lo / scale, p.hi / scale}
			}
		}
		bytes.fitY(1.1, false)
		ovPanels = append(ovPanels, bytes)
		for i := range ovPanels {
			ovPanels[i].xTicks = 2 // three panels side by side
		}
	}
	figs = append(figs, figure{base: "overhead", title: w + ": overhead per job vs load", panels: ovPanels, corners: corners, headroom: true, csv: ovCSV})
	figs = append(figs, utilizationFigure(w, byPolicy, xMin, xMax)...)
	figs = append(figs, gossipFigure(w, byPolicy, xMin, xMax)...)

	if len(cdfLoads) == 0 {
		cdfLoads = []float64{middleLoad(loads)}
	}
	if f, ok := cdfFigure(w, byPolicy, cdfLoads); ok {
		figs = append(figs, f)
	}
	figs = append(figs, mobilityFigures(w, cells, byPolicy, xMin, xMax)...)
	return figs
}

// logSpan is the ratio of the highest to the lowest measurement beyond
// which fitY switches to a log y axis: past it, one policy that blows up
// near saturation would flatten every other line on a linear axis.
const logSpan = 30

// fitY sets the y range to fit the measured series: from 0 to the
// labelled tick at or above grow times the highest CI bound on a linear
// axis; on a log axis (when allowLog, every value is positive and the
// values span more than logSpan) from 0.8 times the lowest value to grow
// times the highest. A value of 0 (a cell whose jobs all failed, say)
// keeps the axis linear, where it can be drawn.
func (pn *panel) fitY(grow float64, allowLog bool) {
	lo, hi := math.Inf(1), 0.0
	positive := true
	for _, s := range pn.series {
		for _, p := range s.pts {
			hi = maxFinite(hi, p.hi)
			hi = maxFinite(hi, p.y)
			positive = positive && p.y > 0
			if p.y > 0 {
				lo = math.Min(lo, p.y)
			}
			if p.lo > 0 {
				lo = math.Min(lo, p.lo)
			}
		}
	}
	if allowLog && positive && hi > 0 && hi/lo > logSpan {
		pn.logY, pn.yMin, pn.yMax = true, 0.8*lo, grow*hi
		return
	}
	pn.yMin, pn.yMax = 0, niceTop(grow*hi)
}

// tops returns the tops the y axis may have, in the plot's coordinates
// (log10 y on a log axis): the fitted one, then higher ones that make
// room for a legend, up to headroom times the fitted span: the next
// labelled ticks on a linear axis, a tenth of the span at a time on a log
// axis.
func (pn panel) tops() []float64 {
	if pn.logY {
		lo, hi := math.Log10(pn.yMin), math.Log10(pn.yMax)
		out := []float64{hi}
		for k := 1; float64(k)/10 <= headroom-1; k++ {
			out = append(out, hi+(hi-lo)*float64(k)/10)
		}
		return out
	}
	out := []float64{pn.yMax}
	for t := pn.yMax; ; {
		t = niceTop(t + tickStep(t-pn.yMin, 5))
		if t-pn.yMin > (pn.yMax-pn.yMin)*headroom*(1+1e-9) {
			return out
		}
		out = append(out, t)
	}
}

// limit is the highest y value the axis may show (with headroom): theory
// curves are sampled up to it.
func (pn panel) limit() float64 {
	ts := pn.tops()
	t := ts[len(ts)-1]
	if pn.logY {
		return math.Pow(10, t)
	}
	return t
}

// middleLoad returns the load nearest the middle of the range of loads,
// the higher of two as near.
func middleLoad(loads []float64) float64 {
	lo, hi := span(loads)
	mid, best := (lo+hi)/2, hi
	for _, l := range loads {
		if d, e := math.Abs(l-mid), math.Abs(best-mid); d < e-1e-9 || (d <= e+1e-9 && l > best) {
			best = l
		}
	}
	return best
}

// cdfFigure builds the CDF of response time at each of loads, one panel
// each, one line per policy whose cell there has a histogram; false when
// none has. The x axis starts near the fastest cdfStart of the jobs of
// the fastest policy, not at the histogram's first tick, which would
// leave a long flat line on the log axis.
func cdfFigure(w string, byPolicy []policyCells, loads []float64) (figure, bool) {
	rows := [][]string{{"policy", "load", "value", "fraction"}}
	var panels []panel
	for _, load := range loads {
		loadText := strconv.FormatFloat(load, 'g', 4, 64)
		pn := panel{title: "ρ = " + loadText, xLabel: "response time" + responseUnits, yLabel: "fraction of jobs", logX: true, fixedY: true, yMin: 0, yMax: 1}
		if len(loads) == 1 {
			pn.title = w + ": response time CDF at ρ = " + loadText
		} else {
			pn.xTicks = 3
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pc := range byPolicy {
			var c *stats.Cell
			for i := range pc.cells {
				if pc.cells[i].Load == load {
					c = &pc.cells[i]
				}
			}
			if c == nil || c.Hist == nil || c.Hist.Count() == 0 {
				continue
			}
			vs, fs := c.Hist.CDF()
			s := series{name: pc.policy, look: pc.look}
			for _, pt := range thinCDF(vs, fs, 300) {
				s.pts = append(s.pts, pt)
				if pt.y >= cdfStart && pt.x < lo {
					lo = pt.x
				}
				hi = math.Max(hi, pt.x)
				rows = append(rows, []string{pc.policy, formatFloat(load), formatFloat(pt.x), formatFloat(pt.y)})
			}
			// Markers at the 10th, 50th and 90th percentiles tell the
			// lines apart without cluttering the flat ends.
			s.marks = []xyPoint{}
			next := 0
			for _, pt := range s.pts {
				if next < len(cdfMarks) && pt.y >= cdfMarks[next] {
					s.marks = append(s.marks, pt)
					for next < len(cdfMarks) && pt.y >= cdfMarks[next] {
						next++
					}
				}
			}
			pn.series = append(pn.series, s)
		}
		if len(pn.series) == 0 {
			continue
		}
		lo = niceFloor(math.Min(lo, hi))
		if lo >= hi {
			lo, hi = lo/2, hi*2
		}
		pn.xMin, pn.xMax = lo, hi
		panels = append(panels, pn)
	}
	if len(panels) == 0 {
		return figure{}, false
	}
	fig := figure{base: "cdf", panels: panels, corners: []corner{topLeft, bottomRight, topRight, bottomLeft}, csv: rows}
	if len(panels) > 1 {
		fig.title = w + ": response time CDF by load"
	}
	return fig, true
}

// cdfStart is the fraction of jobs left of a CDF's x axis.
const cdfStart = 0.01

// niceFloor rounds v > 0 down to 1, 2 or 5 times a power of ten.
func niceFloor(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*e <= v*(1+1e-9) {
			return m * e
		}
	}
	return e
}

// cdfMarks are the fractions at which CDF lines get markers.
var cdfMarks = []float64{0.1, 0.5, 0.9}

// minCDFValue keeps CDF values positive for the log axis: one histogram
// tick.
const minCDFValue = 1e-4

// thinCDF keeps at most about n points of a CDF, evenly spaced in log value,
// keeping the last point of each interval so the curve stays exact at the
// points kept. Values are clamped to at least minCDFValue.
func thinCDF(vs, fs []float64, n int) []xyPoint {
	var out []xyPoint
	if len(vs) == 0 {
		return nil
	}
	lo := math.Log(math.Max(vs[0], minCDFValue))
	hi := math.Log(math.Max(vs[len(vs)-1], minCDFValue))
	step := (hi - lo) / float64(n)
	next := math.Inf(-1)
	for i, v := range vs {
		v = math.Max(v, minCDFValue)
		last := i == len(vs)-1
		if !last && math.Log(math.Max(vs[i+1], minCDFValue)) < next {
			continue
		}
		out = append(out, xyPoint{v, fs[i], math.NaN(), math.NaN()})
		next = math.Log(v) + step
	}
	return out
}

type policyCells struct {
	policy string
	look   look
	cells  []stats.Cell // by load
}

// groupByPolicy splits one workload's cells by policy, in legend order,
// each sorted by load.
func groupByPolicy(cells []stats.Cell, looks map[string]look) []policyCells {
	var out []policyCells
	at := map[string]int{}
	for _, c := range cells {
		i, ok := at[c.Policy]
		if !ok {
			i = len(out)
			at[c.Policy] = i
			out = append(out, policyCells{policy: c.Policy, look: looks[c.Policy]})
		}
		out[i].cells = append(out[i].cells, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].look.rank < out[j].look.rank })
	for _, pc := range out {
		sort.SliceStable(pc.cells, func(i, j int) bool { return pc.cells[i].Load < pc.cells[j].Load })
	}
	return out
}

func noSharing(curves []stats.Curve) *stats.Curve {
	for i := range curves {
		if curves[i].Role == stats.NoSharing {
			return &curves[i]
		}
	}
	return nil
}

// theorySeries samples f on [x0, x1], stopping after the first value above
// yMax, the highest the y axis may reach: the curve then leaves the plot at
// its top edge instead of being drawn towards infinity.
func theorySeries(name string, style int, f func(float64) float64, x0, x1, yMax float64) series {
	const samples = 200
	s := series{name: name, style: style, theory: true}
	for i := 0; i <= samples; i++ {
		x := x0 + (x1-x0)*float64(i)/samples
		y := f(x)
		if math.IsNaN(y) || math.IsInf(y, 0) {
			break
		}
		s.pts = append(s.pts, xyPoint{x, y, math.NaN(), math.NaN()})
		if y > yMax {
			break
		}
	}
	return s
}

func csvRow(workload, policy string, p xyPoint) []string {
	lo, hi := "", ""
	if !math.IsNaN(p.lo) {
		lo, hi = formatFloat(p.lo), formatFloat(p.hi)
	}
	return []string{workload, policy, formatFloat(p.x), formatFloat(p.y), lo, hi}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// loadSpan is the range of a load axis: that of loads, or ±0.05 around a
// single load.
func loadSpan(loads []float64) (lo, hi float64) {
	lo, hi = span(loads)
	if lo == hi {
		lo, hi = lo-0.05, hi+0.05
	}
	return lo, hi
}

func span(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

func maxFinite(a, b float64) float64 {
	if math.IsNaN(b) || math.IsInf(b, 0) {
		return a
	}
	return math.Max(a, b)
}
