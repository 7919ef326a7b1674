package report

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFigureRefs checks that the report lists every figure kind of
// analysis.WriteFigures in its documented order, with a caption of its
// own, per workload, and leaves out what is not a PNG.
func TestFigureRefs(t *testing.T) {
	var paths []string
	for _, prefix := range []string{"h2_", "exp_"} {
		for i := len(figureKinds) - 1; i >= 0; i-- { // reversed: the order must come from figureKinds
			paths = append(paths, filepath.Join("figs", prefix+figureKinds[i]+".png"), filepath.Join("figs", prefix+figureKinds[i]+".csv"))
		}
	}
	refs := figureRefs(paths)
	if len(refs) != 2*len(figureKinds) {
		t.Fatalf("%d figures, want %d", len(refs), 2*len(figureKinds))
	}
	for i, r := range refs {
		prefix := []string{"exp_", "h2_"}[i/len(figureKinds)]
		kind := figureKinds[i%len(figureKinds)]
		if want := filepath.Join("figs", prefix+kind+".png"); r.path != want {
			t.Errorf("figure %d is %s, want %s", i, r.path, want)
		}
		if strings.HasPrefix(r.caption, prefix) || !strings.HasSuffix(r.caption, "(workload "+strings.TrimSuffix(prefix, "_")+")") {
			t.Errorf("%s: caption %q names no workload", r.path, r.caption)
		}
	}
	for _, tc := range []struct{ base, want string }{
		{"utilization", "Mean utilisation vs load, bars from the least to the most utilised node, and the spread between them"},
		{"gossip", "Age of the gossiped load a decision read vs load, for the policies that read gossip"},
		{"overhead", "Migrations and probes per job vs load (and bytes sent per job when jobs carry bytes)"},
		{"exp_gossip", "Age of the gossiped load a decision read vs load, for the policies that read gossip (workload exp)"},
	} {
		if got := figureCaption(tc.base); got != tc.want {
			t.Errorf("figureCaption(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}
