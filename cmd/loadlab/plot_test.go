package main

import (
	"bytes"
	"fmt"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// smallSpec is a sweep of a fraction of a second: one policy, two loads.
const smallSpec = `name: small
seed: 5
replications: 1
jobs: 2000
warmup: 200
nodes: 4
loads: [0.5, 0.8]
policies:
  - name: random
`

// TestFigureFlags checks --columns and --formats of sweep and plot: the
// files written, the size of a PNG in pixels (300 dpi) and of a PDF page
// in points.
func TestFigureFlags(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(spec, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "small")
	figs := filepath.Join(dir, "figures")
	for _, tc := range []struct {
		name  string
		args  []string
		files []string // in figures, besides the CSVs
		png   [2]int   // response.png's size in pixels, if any
		pdf   string   // response.pdf's MediaBox, if any
	}{
		{"sweep two-column pdf", []string{"sweep", spec, "--out", dir, "--quiet", "--columns", "2", "--formats", "pdf"}, []string{"response.pdf"}, [2]int{}, "[0 0 504.00 216.00]"},
		{"plot png", []string{"plot", dir, "--formats", "png"}, []string{"response.png"}, [2]int{1050, 780}, ""},
		{"plot two-column png svg", []string{"plot", dir, "--columns", "2", "--formats", "PNG, svg"}, []string{"response.png", "response.svg"}, [2]int{2100, 900}, ""},
		{"plot defaults", []string{"plot", dir}, []string{"response.png", "response.svg", "response.pdf"}, [2]int{1050, 780}, "[0 0 252.00 187.20]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.RemoveAll(figs); err != nil {
				t.Fatal(err)
			}
			out, _, err := loadlab(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.files[0]) {
				t.Errorf("output does not list %s:\n%s", tc.files[0], out)
			}
			entries, err := os.ReadDir(figs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "response.") && !strings.HasSuffix(e.Name(), ".csv") {
					got = append(got, e.Name())
				}
			}
			want := slices.Sorted(slices.Values(tc.files))
			if slices.Sort(got); !slices.Equal(got, want) {
				t.Errorf("figure files %v, want %v", got, want)
			}
			if _, err := os.Stat(filepath.Join(figs, "response.csv")); err != nil {
				t.Errorf("no CSV next to the figure: %v", err)
			}
			if tc.png != [2]int{} {
				b, err := os.ReadFile(filepath.Join(figs, "response.png"))
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.DecodeConfig(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got := [2]int{img.Width, img.Height}; got != tc.png {
					t.Errorf("response.png is %v pixels, want %v", got, tc.png)
				}
			}
			if tc.pdf != "" {
				b, err := os.ReadFile(filepath.Join(figs, "response.pdf"))
				if err != nil {
					t.Fatal(err)
				}
				if m := regexp.MustCompile(`/MediaBox \[[^\]]*\]`).Find(b); m == nil || !strings.HasSuffix(string(m), tc.pdf) {
					t.Errorf("response.pdf: %s, want MediaBox %s", m, tc.pdf)
				}
			}
		})
	}
}

// TestFigureFlagsBadInput checks that a bad --columns or --formats is
// bad input (exit status 2) found before anything runs or is written.
func TestFigureFlagsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"sweep", "testdata/tiny.yaml", "--columns", "3"}, []string{"--columns 3", "1", "2"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--formats", "gif"}, []string{"--formats", "gif", "png"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--formats", " , "}, []string{"--formats", "at least one"}},
		{[]string{"plot", "testdata", "--columns", "0"}, []string{"--columns 0"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--cdf-load", "0.55"}, []string{"--cdf-load 0.55", "0.5, 0.8, 0.9"}},
		{[]string{"sweep", "testdata/tiny.yaml", "--cdf-load", "0.5,high"}, []string{"--cdf-load", "0.5,high", "commas"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := t.TempDir()
			args := tc.args
			if args[0] == "sweep" {
				args = append(args, "--out", filepath.Join(out, "s"))
			}
			_, _, err := loadlab(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			var stderr bytes.Buffer
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2 (error: %v)", code, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("bad input wrote %d files", len(entries))
			}
		})
	}
}

// TestCDFLoadAndTitleFlags checks --cdf-load and --title=false of plot:
// the CDF at the loads asked for, figures without titles, and a load the
// sweep lacks refused as bad input with the loads it has.
func TestCDFLoadAndTitleFlags(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(spec, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "small")
	if _, _, err := loadlab(t, "sweep", spec, "--out", dir, "--quiet", "--formats", "svg"); err != nil {
		t.Fatal(err)
	}
	figs := filepath.Join(dir, "figures")
	cdfLoads := func() string {
		b, err := os.ReadFile(filepath.Join(figs, "cdf.csv"))
		if err != nil {
			t.Fatal(err)
		}
		loads := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			loads[strings.Split(line, ",")[1]] = true
		}
		return strings.Join(slices.Sorted(maps.Keys(loads)), " ")
	}
	title := func() bool {
		b, err := os.ReadFile(filepath.Join(figs, "response.svg"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(b), "mean response time vs load")
	}
	// The sweep's own figures: the CDF at the middle of 0.5 and 0.8 (the
	// higher of two as near), with titles.
	if got := cdfLoads(); got != "0.8" || !title() {
		t.Errorf("sweep: CDF at %q, title %v; want 0.8 and a title", got, title())
	}
	if _, _, err := loadlab(t, "plot", dir, "--formats", "svg", "--title=false", "--cdf-load", "0.5, 0.8"); err != nil {
		t.Fatal(err)
	}
	if got := cdfLoads(); got != "0.5 0.8" || title() {
		t.Errorf("plot --title=false --cdf-load 0.5,0.8: CDF at %q, title %v; want 0.5 0.8 and none", got, title())
	}
	_, _, err := loadlab(t, "plot", dir, "--cdf-load", "0.6")
	var stderr bytes.Buffer
	if code := exitCode(err, &stderr); code != 2 || !strings.Contains(fmt.Sprint(err), "0.5, 0.8") {
		t.Errorf("plot --cdf-load 0.6: exit %d, error %v; want 2 and the loads 0.5, 0.8", code, err)
	}
}
