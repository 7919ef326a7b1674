package dashboard

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/loadlab/loadlab/experiment"
	"github.com/loadlab/loadlab/results"
)

// resultsFile is the store a sweep appends to (results.Store).
const resultsFile = "results.jsonl"

// sweepRef is a sweep directory found under one of the served roots.
type sweepRef struct {
	ID  string // the root's index and the directory's path under it, "0/quick"
	Dir string // the directory itself
}

// version names a state of a sweep's results: it changes whenever a
// point lands (results.jsonl grows or is rewritten).
type version struct {
	Size    int64
	ModTime time.Time
}

func (v version) String() string { return fmt.Sprintf("%x-%x", v.Size, v.ModTime.UnixNano()) }

// statVersion reads dir's results version; a directory without results
// yet has the zero version.
func statVersion(dir string) version {
	fi, err := os.Stat(filepath.Join(dir, resultsFile))
	if err != nil {
		return version{}
	}
	return version{fi.Size(), fi.ModTime()}
}

// findSweeps lists the sweep directories (those holding experiment's
// spec.yaml) under each root, at most depth levels down, sorted by ID. A
// root that does not exist (yet) holds none.
func findSweeps(roots []string, depth int) []sweepRef {
	var out []sweepRef
	for i, root := range roots {
		base := filepath.Clean(root)
		_ = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(base, path)
			if rel != "." && strings.Count(filepath.ToSlash(rel), "/") >= depth {
				return fs.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, experiment.SpecFile)); err == nil {
				out = append(out, sweepRef{ID: fmt.Sprintf("%d/%s", i, filepath.ToSlash(rel)), Dir: path})
				return fs.SkipDir // a sweep's figures/ and report/ hold no sweeps
			}
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Progress is how far a sweep is.
type Progress struct {
	Done  int    `json:"done"`  // points of the spec stored
	Total int    `json:"total"` // points in the spec
	State string `json:"state"` // "done", "running" or "stopped"
	// ETA is the estimated time left of a running sweep, in seconds, from
	// the rate at which its points landed since the spec was written
	// (the sweep's start; a resumed sweep's rate counts the earlier run's
	// points, so its first estimate is optimistic); -1 when unknown.
	ETA     float64 `json:"eta"`
	Version string  `json:"version"`
}

// runningWithin is how recently a sweep's results must have changed for
// an unfinished sweep to count as running rather than stopped.
const runningWithin = 2 * time.Minute

// progressOf reads the spec and the records of dir.
func progressOf(dir string, now time.Time) (*experiment.Spec, []results.Record, Progress, error) {
	spec, err := experiment.Reopen(dir)
	if err != nil {
		return nil, nil, Progress{}, err
	}
	v := statVersion(dir)
	var recs []results.Record
	if v.Size > 0 {
		if recs, err = results.Read(dir); err != nil {
			return nil, nil, Progress{}, fmt.Errorf("sweep %s: %w", dir, err)
		}
		recs = spec.Select(recs)
	}
	return spec, recs, progressAt(count{len(recs), spec.Count(), v, specTime(dir)}, now), nil
}

// count is what progress is computed from: points stored and in the spec,
// the results' version and when the spec was written.
type count struct {
	done, total int
	v           version
	spec        time.Time
}

func specTime(dir string) time.Time {
	fi, err := os.Stat(filepath.Join(dir, experiment.SpecFile))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// progressAt is the progress of c as of now.
func progressAt(c count, now time.Time) Progress {
	p := Progress{Done: c.done, Total: c.total, ETA: -1, Version: c.v.String()}
	switch {
	case p.Done >= p.Total:
		p.State = "done"
	case !c.v.ModTime.IsZero() && now.Sub(c.v.ModTime) < runningWithin:
		p.State = "running"
	default:
		p.State = "stopped"
	}
	if p.State == "running" && p.Done > 0 && !c.spec.IsZero() {
		if el := c.v.ModTime.Sub(c.spec).Seconds(); el > 0 {
			p.ETA = el / float64(p.Done) * float64(p.Total-p.Done)
		}
	}
	return p
}
