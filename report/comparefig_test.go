package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestCompareFigureAllFailed compares a sweep with one whose jobs all
// failed (every mean 0) while the first spans more than a factor of 30
// (a log axis): the figure is drawn, at one column's size (3.5 × 2.6 in
// at 300 dpi), with its CSV.
func TestCompareFigureAllFailed(t *testing.T) {
	const spec = `name: NAME
seed: 12
replications: 2
jobs: 2000
warmup: 200
nodes: 4
loads: [0.5, 0.9]
policies:
  - name: random
  - name: pod
    dispatch: pod(d=2)
`
	dir := sweep(t, "a", spec)
	sa, sb, err := Sides(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	sb.Name = "failed"
	sb.Records = append(sb.Records[:0:0], sb.Records...)
	for i := range sb.Records {
		r := &sb.Records[i].Result
		r.MeanResponse, r.P99Response, r.CI95HalfWidth = 0, 0, 0
		r.JobsFailed, r.JobsCompleted = r.JobsIssued, 0
	}
	sa.Records = append(sa.Records[:0:0], sa.Records...)
	for i := range sa.Records {
		if sa.Records[i].Point.Load == 0.9 {
			sa.Records[i].Result.MeanResponse *= 100
		}
	}
	c, err := Compare(sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cmp")
	if _, err := WriteCompare(c, out); err != nil {
		t.Fatalf("compare against a sweep whose jobs all failed: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(out, "compare_response.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 1050 || img.Height != 780 {
		t.Errorf("compare_response.png is %d × %d pixels, want one column, 1050 × 780", img.Width, img.Height)
	}
	for _, f := range []string{"compare_response.svg", "compare_response.pdf", "compare_response.csv"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
}
