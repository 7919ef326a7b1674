package analysis

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

// svgElement is a path or a text of an SVG file, in drawing order.
type svgElement struct {
	text  string // the text, for a text element
	d     string // the path, for a path element
	style string
}

// svgElements reads the paths and texts of an SVG file in order.
func svgElements(t *testing.T, path string) []svgElement {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []svgElement
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var e svgElement
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "d":
				e.d = a.Value
			case "style":
				e.style = a.Value
			}
		}
		switch se.Name.Local {
		case "path":
			out = append(out, e)
		case "text":
			var s string
			if err := dec.DecodeElement(&s, &se); err != nil {
				t.Fatal(err)
			}
			e.text = s
			out = append(out, e)
		}
	}
	return out
}

var svgNumber = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?`)

// shapeOf describes a marker's path wherever it is drawn: its commands
// and the vector of its first straight segment.
func shapeOf(d string) string {
	letters := regexp.MustCompile(`[A-Za-z]`).FindAllString(d, -1)
	var nums []float64
	for _, s := range svgNumber.FindAllString(d, -1) {
		v, _ := strconv.ParseFloat(s, 64)
		nums = append(nums, v)
	}
	shape := strings.Join(letters, "")
	if len(letters) > 1 && letters[1] == "L" && len(nums) >= 4 {
		shape += fmt.Sprintf(" (%.1f,%.1f)", nums[2]-nums[0], nums[3]-nums[1])
	}
	return shape
}

// svgLegendEntry returns the line sample and the marker's paths of the
// legend entry whose text is els[i]: the paths drawn just before it,
// from the last horizontal line as long as a legend sample (16 pt).
func svgLegendEntry(els []svgElement, i int) (line svgElement, marker []svgElement, ok bool) {
	sample := regexp.MustCompile(`^M(-?[0-9.]+),(-?[0-9.]+)L(-?[0-9.]+),(-?[0-9.]+)$`)
	for j := i - 1; j >= 0 && els[j].d != ""; j-- {
		m := sample.FindStringSubmatch(els[j].d)
		if m == nil || m[2] != m[4] {
			continue
		}
		x0, _ := strconv.ParseFloat(m[1], 64)
		x1, _ := strconv.ParseFloat(m[3], 64)
		if x1-x0 > 15.9 && x1-x0 < 16.1 {
			return els[j], els[j+1 : i], true
		}
	}
	return svgElement{}, nil, false
}

// svgLegend returns the line sample and marker paths of the legend
// entries of els named in names, and the index of the legend's first
// path; it fails the test for a name without an entry.
func svgLegend(t *testing.T, els []svgElement, names ...string) (map[string]svgElement, map[string][]svgElement, int) {
	t.Helper()
	lines, markers := map[string]svgElement{}, map[string][]svgElement{}
	first := len(els)
	for i, e := range els {
		if !slices.Contains(names, e.text) {
			continue
		}
		line, marker, ok := svgLegendEntry(els, i)
		if !ok || len(marker) == 0 {
			t.Fatalf("legend entry %q not preceded by a line and a marker", e.text)
		}
		lines[e.text], markers[e.text] = line, marker
		first = min(first, i-1-len(marker))
	}
	for _, n := range names {
		if _, ok := lines[n]; !ok {
			t.Fatalf("no legend entry %q", n)
		}
	}
	return lines, markers, first
}

// legendStyles returns, for each legend entry of an SVG figure named in
// names, the style of its line sample and the style and shape of its
// marker.
func legendStyles(t *testing.T, path string, names ...string) map[string]string {
	t.Helper()
	lines, markers, _ := svgLegend(t, svgElements(t, path), names...)
	out := map[string]string{}
	for _, n := range names {
		desc := "line{" + lines[n].style + "} marker{"
		for _, m := range markers[n] {
			desc += m.style + " " + shapeOf(m.d) + ";"
		}
		out[n] = desc + "}"
	}
	return out
}

// strokeOf is the stroke colour in an SVG style; fillOf the fill.
func strokeOf(style string) string { return styleValue(style, "stroke") }
func fillOf(style string) string   { return styleValue(style, "fill") }

func styleValue(style, key string) string {
	for _, kv := range strings.Split(style, ";") {
		if k, v, ok := strings.Cut(kv, ":"); ok && k == key {
			return v
		}
	}
	return ""
}

// TestPolicyStyleStable checks that a policy keeps its colour and marker
// in two sweeps with different lists of policies in different orders,
// in every figure that draws it.
func TestPolicyStyleStable(t *testing.T) {
	// Names whose hashes give distinct colours and markers: with colliding
	// names the spec's order decides which keeps its own
	// (TestPolicyStyleTies).
	sweeps := [][]string{
		{"random", "pod(d=2)", "sender.shortest", "receiver.threshold"},
		{"receiver.threshold", "round-robin", "random", "sender.shortest"},
	}
	shared := []string{"random", "sender.shortest", "receiver.threshold"}
	var got [2]map[string]string
	for i, pols := range sweeps {
		dir := t.TempDir()
		recs := syntheticRecords(pols, testLoads[:3], 2, 200, 9)
		if _, err := WriteFigures(dir, stats.Summarize(recs), pols, FigureOptions{Formats: []string{"svg"}}); err != nil {
			t.Fatal(err)
		}
		got[i] = legendStyles(t, filepath.Join(dir, "response.svg"), shared...)
		for _, fig := range []string{"p99", "overhead", "cdf"} {
			other := legendStyles(t, filepath.Join(dir, fig+".svg"), shared...)
			for _, p := range shared {
				if other[p] != got[i][p] {
					t.Errorf("sweep %d: %s drawn as %s in %s, as %s in response", i+1, p, other[p], fig, got[i][p])
				}
			}
		}
	}
	for _, p := range shared {
		if got[0][p] != got[1][p] {
			t.Errorf("%s: %s in sweep 1, %s in sweep 2", p, got[0][p], got[1][p])
		}
	}
}

// TestBackendTwins checks that the twins of a policy on two backends
// share its hue and differ in dash and marker fill, that the simulator's
// line is drawn after (over) the real one, and that two policies differ
// in colour.
func TestBackendTwins(t *testing.T) {
	var recs []results.Record
	for _, be := range []string{"sim", "local"} {
		for _, r := range syntheticRecords([]string{"random", "pod(d=2)"}, testLoads[:4], 2, 200, 10) {
			r.Point.Backend = be
			r.Point.Policy += " (" + be + ")"
			recs = append(recs, r)
		}
	}
	order := []string{"random (sim)", "random (local)", "pod(d=2) (sim)", "pod(d=2) (local)"}
	dir := t.TempDir()
	if _, err := WriteFigures(dir, stats.Summarize(recs), order, FigureOptions{Formats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "response.svg")
	els := svgElements(t, file)
	lines, markers, legend := svgLegend(t, els, order...)
	styles := map[string][2]svgElement{} // line sample, marker
	for _, n := range order {
		styles[n] = [2]svgElement{lines[n], markers[n][0]}
	}
	for _, base := range []string{"random", "pod(d=2)"} {
		sim, real := styles[base+" (sim)"], styles[base+" (local)"]
		if strokeOf(sim[0].style) == "" || strokeOf(sim[0].style) != strokeOf(real[0].style) {
			t.Errorf("%s: twins drawn in %q (sim) and %q (local), want one hue", base, strokeOf(sim[0].style), strokeOf(real[0].style))
		}
		dashed := func(e svgElement) bool { return strings.Contains(e.style, "dasharray") }
		if dashed(sim[0]) == dashed(real[0]) && fillOf(sim[1].style) == fillOf(real[1].style) {
			t.Errorf("%s: twins alike: sim line %q marker %q, local line %q marker %q", base, sim[0].style, sim[1].style, real[0].style, real[1].style)
		}
		// The data lines, before the legend: paths of the hue with one
		// point per load.
		var order []bool // dashed, in drawing order
		for _, e := range els[:legend] {
			if strokeOf(e.style) == strokeOf(sim[0].style) && strings.Count(e.d, "L") == 3 && !strings.Contains(e.d, "Z") {
				order = append(order, dashed(e))
			}
		}
		if len(order) < 2 || order[len(order)-1] != dashed(sim[0]) {
			t.Errorf("%s: data lines in drawing order, dashed: %v; want the simulator's (dashed %v) last, over the real one", base, order, dashed(sim[0]))
		}
	}
	if strokeOf(styles["random (sim)"][0].style) == strokeOf(styles["pod(d=2) (sim)"][0].style) {
		t.Errorf("random and pod(d=2) share colour %s", strokeOf(styles["random (sim)"][0].style))
	}
}

// TestPolicyStyleTies checks policyLooks' ties: "random" and "symmetric"
// hash to the same colour and marker, so the later in the spec's order
// takes the next free pair; colours stay distinct while the palette
// lasts, pairs beyond it.
func TestPolicyStyleTies(t *testing.T) {
	pair := func(l look) [2]int { return [2]int{l.colour, l.shape} }
	a := policyLooks([]string{"random", "symmetric"}, nil)
	b := policyLooks([]string{"symmetric", "random"}, nil)
	if pair(a["random"]) != pair(b["symmetric"]) || pair(a["symmetric"]) != pair(b["random"]) || pair(a["random"]) == pair(a["symmetric"]) {
		t.Errorf("random first: %v, %v; symmetric first: %v, %v; want the first to keep the pair both hash to",
			pair(a["random"]), pair(a["symmetric"]), pair(b["symmetric"]), pair(b["random"]))
	}
	var names []string
	for i := range 50 {
		names = append(names, fmt.Sprintf("policy-%d", i))
	}
	for _, n := range []int{len(okabeIto), len(okabeIto) * markerShapes} {
		looks := policyLooks(names[:n], nil)
		colours, pairs := map[int]bool{}, map[[2]int]bool{}
		for _, l := range looks {
			colours[l.colour], pairs[pair(l)] = true, true
		}
		if n == len(okabeIto) && len(colours) != n {
			t.Errorf("%d policies in %d colours, want %d", n, len(colours), n)
		}
		if len(pairs) != n {
			t.Errorf("%d policies with %d colour and marker pairs, want %d", n, len(pairs), n)
		}
	}
}
