package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/fault"
	"github.com/loadlab/loadlab/results"
)

// faultRecords is a fixed fault sweep: two policies, two replications,
// a kill at 100 and a slow node at 50; least-connections sinks work into
// the killed node, pod(d=2) does not.
func faultRecords() []results.Record {
	faults := []fault.Fault{{At: 50, Kind: fault.Slow, Nodes: []int{1}, Factor: 4, Duration: 100},
		{At: 100, Kind: fault.Kill, Nodes: []int{3}}}
	var recs []results.Record
	for pi, pol := range []string{"leastconn", "pod(d=2)"} {
		for rep := 0; rep < 2; rep++ {
			var resp []float64
			var failed []int64
			for b := 0; b < 20; b++ {
				t := float64(b)*10 + 5
				v := 2.0
				if t > 50 {
					v += float64(2-pi) * 3 * (1 - (t-50)/150)
				}
				if b == 3 && rep == 1 {
					v = -1 // a bin without completions
				}
				resp = append(resp, v+0.1*float64(rep))
				n := int64(0)
				if t > 100 && pi == 0 {
					n = int64(8 + rep)
				}
				failed = append(failed, n)
			}
			log := []results.FaultEvent{{Fault: faults[0], Applied: 50}, {Fault: faults[1], Applied: 100, Detected: 30 + 5*float64(rep+pi), Failed: int64(80*(1-pi) + 2)}}
			recs = append(recs, results.Record{
				Point:  results.Point{Policy: pol, Workload: "exp", Load: 0.7, Replication: rep, Backend: "local", Faults: "slow(at=50, nodes=1, duration=100, factor=4); kill(at=100, nodes=3)"},
				Result: results.Result{FaultLog: log, ResponseBin: 10, ResponseOverTime: resp, FailedOverTime: failed, JobsIssued: 1000}})
		}
	}
	// A record without faults is left out.
	recs = append(recs, results.Record{Point: results.Point{Policy: "random", Workload: "exp", Load: 0.7}})
	return recs
}

// TestGoldenFaultFigures renders the fault figures of a fixed sweep and
// compares them with testdata/golden (-update to rewrite), and checks
// their CSVs.
func TestGoldenFaultFigures(t *testing.T) {
	dir := t.TempDir()
	opt := DefaultFigureOptions()
	opt.Formats, opt.DPI = []string{"png"}, 100
	paths, err := WriteFaultFigures(dir, faultRecords(), []string{"leastconn", "pod(d=2)"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Fatalf("wrote %v, want two figures with their CSVs", paths)
	}
	checkGolden(t, dir, []string{"faults_response.png", "faults_failed.png"})
	checkLayouts(t, faultFigureSet(faultRecords(), []string{"leastconn", "pod(d=2)"}), []string{"faults_response.png", "faults_failed.png"})
	b, err := os.ReadFile(filepath.Join(dir, "faults_failed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`failed_by_fault,exp,leastconn,0.7,2,82,82,82,"kill(at=100, nodes=3)"`, "detection_time,exp,pod(d=2)"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("faults_failed.csv lacks %q:\n%s", want, b)
		}
	}
	if got, _ := WriteFaultFigures(t.TempDir(), faultRecords()[4:], nil, opt); got != nil {
		t.Errorf("a sweep without faults got fault figures %v", got)
	}
}
