package results

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// crashDirEnv names the store directory of the child process of
// TestCrash; TestHelperWriter only runs when it is set.
const crashDirEnv = "LOADLAB_RESULTS_CRASH_DIR"

// TestHelperWriter is not a test: it is the child process of TestCrash. It
// opens the store, says "ready", then appends records k<n> from the store's
// length on, until it is killed.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCrash")
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("ready")
	// Records of a few kilobytes make a kill during a write more likely.
	pad := strings.Repeat("x", 4096)
	for i := s.Len(); ; i++ {
		r := testRecord(fmt.Sprintf("k%d", i), i)
		r.Result.Histogram = pad
		if err := s.Append(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

// TestCrash kills a process that appends records (SIGKILL, at a random
// moment) several times over, and checks that the store always opens and
// holds valid, unique records k0, k1, … with no gap.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const rounds = 5
	var repaired int64
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child said %q (%v), want ready", round, line, err)
		}
		time.Sleep(time.Duration(20+rng.IntN(131)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait() // an error here is the kill

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		repaired += s.Repaired()
		recs := s.Records()
		s.Close()
		for i, r := range recs {
			want := testRecord(fmt.Sprintf("k%d", i), i)
			want.Result.Histogram = r.Result.Histogram
			if r.Point != want.Point || r.Result.MeanResponse != want.Result.MeanResponse || len(r.Result.Histogram) != 4096 {
				t.Fatalf("round %d: record %d is %s, not the record k%d that was appended", round, i, r.Point.Key, i)
			}
		}
		t.Logf("round %d: %d records survived", round, len(recs))
	}
	recs, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Errorf("no record survived %d rounds", rounds)
	}
	t.Logf("%d records after %d kills; %d torn bytes repaired", len(recs), rounds, repaired)
}
