package executor

import (
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"time"
)

// processRuns is how many processes ProcessCost starts.
const processRuns = 15

var processCost struct {
	once sync.Once
	d    time.Duration
	err  error
}

// ProcessCost is the CPU it takes this machine to create a process, run
// it and reap it: the median over a few starts of true(1) of the CPU
// the starting thread used (on Linux; elsewhere the wall time of the
// start) plus the child's own (user and system, from its rusage), which
// the loader's work on exec dominates. Measured once per process (about
// 15 starts, some tens of ms). process-per-request emulates a process per
// request by charging each request this much CPU on its core: starting a
// real one per request would take more CPU than a few agents on a small
// machine have.
func ProcessCost() (time.Duration, error) {
	p := &processCost
	p.once.Do(func() { p.d, p.err = measureProcess() })
	return p.d, p.err
}

func measureProcess() (time.Duration, error) {
	path, err := exec.LookPath("true")
	if err != nil {
		return 0, fmt.Errorf("executor: measuring a process's creation: %w", err)
	}
	runtime.LockOSThread() // the thread's CPU clock counts this thread only
	defer runtime.UnlockOSThread()
	var ds []time.Duration
	for range processRuns {
		t0, ok := threadTime()
		w0 := time.Now()
		cmd := exec.Command(path)
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("executor: measuring a process's creation: %s: %w", path, err)
		}
		var parent time.Duration
		if t1, ok1 := threadTime(); ok && ok1 {
			parent = t1 - t0
		} else {
			parent = time.Since(w0)
		}
		ds = append(ds, parent+cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}
