package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/experiment"
)

const reportSpec = `name: cmdreport
replications: 2
jobs: 3000
warmup: 300
nodes: 8
loads: [0.5, 0.8]
policies:
  - name: random
  - name: pod
    dispatch: pod(d=2)
`

func TestReportAndCompare(t *testing.T) {
	root := t.TempDir()
	spec := filepath.Join(root, "in.yaml")
	if err := os.WriteFile(spec, []byte(reportSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "sweep")
	if _, _, err := loadlab(t, "sweep", spec, "--out", dir, "--quiet"); err != nil {
		t.Fatal(err)
	}
	out, _, err := loadlab(t, "report", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.html", "report.md", "tables.tex", "tables.csv"} {
		p := filepath.Join(dir, "report", f)
		if !strings.Contains(out, p) {
			t.Errorf("report output does not name %s:\n%s", p, out)
		}
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", p, err)
		}
	}
	cmpDir := filepath.Join(root, "cmp")
	out, _, err = loadlab(t, "compare", dir, dir, "--out", cmpDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "4 cells in common, 0 significant") {
		t.Errorf("compare of a sweep with itself:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(cmpDir, "compare.html")); err != nil {
		t.Error(err)
	}
	// The compare figure takes the figure flags: two columns, PNG only.
	cmpDir = filepath.Join(root, "cmp2")
	if _, _, err := loadlab(t, "compare", dir, dir, "--out", cmpDir, "--columns", "2", "--formats", "png", "--title=false"); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(filepath.Join(cmpDir, "compare_response.png")); err != nil {
		t.Error(err)
	} else {
		img, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || img.Width != 2100 || img.Height != 900 {
			t.Errorf("compare --columns 2: compare_response.png is %d × %d (%v), want 2100 × 900", img.Width, img.Height, err)
		}
	}
	if _, err := os.Stat(filepath.Join(cmpDir, "compare_response.svg")); err == nil {
		t.Error("compare --formats png wrote an SVG")
	}

	other := filepath.Join(root, "other")
	otherSpec := filepath.Join(root, "other.yaml")
	if err := os.WriteFile(otherSpec, []byte(strings.Replace(strings.Replace(reportSpec, "[0.5, 0.8]", "[0.3]", 1), "cmdreport", "other", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadlab(t, "sweep", otherSpec, "--out", other, "--quiet"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", filepath.Join(root, "nosuch")}, "no such file"},
		{[]string{"report", root}, "not a sweep directory"},
		{[]string{"report"}, "want one sweep directory"},
		{[]string{"compare", dir, filepath.Join(root, "nosuch")}, "no such file"},
		{[]string{"compare", dir, other}, "no cell in common"},
		{[]string{"compare", dir}, "two backends"},
		{[]string{"compare", "a", "b", "c"}, "want one or two sweep directories"},
	} {
		_, _, err := loadlab(t, tc.args...)
		if err == nil || !experiment.IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadlab %s: %v, want an input error with %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if code := exitCode(err, &strings.Builder{}); code != 2 {
			t.Errorf("loadlab %s: exit status %d, want 2", strings.Join(tc.args, " "), code)
		}
	}
}

func TestReportHelp(t *testing.T) {
	for _, cmd := range []string{"report", "compare"} {
		out, _, err := loadlab(t, cmd, "--help")
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(out, "loadlab "+cmd) || !strings.Contains(out, "--out") {
			t.Errorf("%s --help lacks its usage:\n%s", cmd, out)
		}
	}
}
