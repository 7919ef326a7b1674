package workload

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/loadlab/loadlab/param"
)

// Trace replay. A workload whose arrival is "trace(file=…, format=…)"
// replays the jobs of a file: their arrival times, sizes, classes and keys.
// Sizes are divided by their mean over the replayed window, so a job of
// mean size takes 1 model unit as with any workload, and arrival times by
// the same unit; each point then compresses or stretches time so that the
// trace's mean rate over the window gives the point's load (load scaling:
// a trace whose own load is 0.3 replayed at ρ = 0.6 runs twice as fast).
// The replay is the same for every seed and on every backend. A point
// with more jobs than the window replays it again from its start.
//
// Formats, and the columns read (the rest are ignored):
//
//   - csv: a header naming the columns; arrival and size are required,
//     class and key (whole numbers ≥ 0) optional, any others ignored;
//     rows in arrival order. WriteTrace writes this format (with id).
//   - swf: the Standard Workload Format of the Parallel Workloads Archive
//     (Feitelson et al.; lines starting with ';' are comments, 18 fields
//     separated by white space): submit time (field 2) is the arrival,
//     run time (field 4) the size (size=work: run time × allocated
//     processors, field 5), user id (field 12) the key, queue number
//     (field 15) the class. Jobs whose run time is unknown (−1) are left out.
//   - google: the task events of the Google cluster trace (clusterdata
//     2011, version 2: no header; time in µs, missing info, job id, task
//     index, machine id, event type, user, scheduling class, priority, CPU,
//     memory and disk requests, machine constraint). A task arrives at its
//     first SUBMIT (type 0) and its size is the time from its last
//     SCHEDULE (1) to its FINISH (4); tasks that never finish, or were
//     submitted before the trace began (time 0), are left out. The job id
//     is the key (numbered in order of appearance), the scheduling class
//     (0–3) the class.
//   - azure: the Azure Functions trace (2019): file is the invocations per
//     function per minute (HashOwner, HashApp, HashFunction, Trigger, then
//     minutes 1…1440), durations the function durations (HashOwner,
//     HashApp, HashFunction, Average in ms, …). The n invocations of a
//     function in a minute arrive evenly spaced within it; each takes the
//     function's average duration; the function is the key, its trigger
//     the class. Functions without a duration are left out.
//
// Times are in the trace's own unit (seconds for swf and azure, µs for
// google); from and to select the window [from, to) in that unit (to = 0:
// to the end).

// traceSchema is the parameters of trace(…).
var traceSchema = param.Schema{
	{Name: "file", Kind: param.Word, Doc: "the trace file, relative to the spec's directory"},
	{Name: "format", Kind: param.Word, Default: "csv", Doc: "csv, swf, google or azure"},
	{Name: "from", Later: true, Kind: param.Float, Default: "0", Doc: "start of the window replayed, in the trace's time unit"},
	{Name: "to", Later: true, Kind: param.Float, Default: "0", Doc: "end of the window (0: the trace's end)"},
	{Name: "size", Later: true, Kind: param.Word, Default: "runtime", Doc: "swf: runtime, or work (runtime × processors)"},
	{Name: "durations", Later: true, Kind: param.Word, Default: "-", Doc: "azure: the function durations file"},
}

// TraceEntries lists trace(…) for `loadlab policies`.
func TraceEntries() []Entry {
	return []Entry{{Name: "trace", Params: traceSchema.Usage(), Doc: "replay a trace file (csv, swf, google, azure): arrivals, sizes, classes, keys; scaled to each point's load (see docs)"}}
}

// IsTrace reports whether an arrival spec is a trace replay,
// "trace(file=…)": ParseArrival does not read those; New does.
func IsTrace(spec string) bool {
	c, err := param.Parse(spec)
	return err == nil && c.Name == "trace"
}

// replay is a trace, read and normalised: jobs from time 0, sizes of mean 1.
type replay struct {
	spec  string   // canonical trace(…)
	unit  float64  // the trace's time per model unit: its mean size over the window
	jobs  []Job    // Arrival and Size in model units, ID unset
	span  float64  // from the first arrival to the last plus the mean gap: one pass
	names []string // class names
	keyN  int      // keys 0 … keyN−1; 0 when the trace has none
	scv   float64  // gaps' squared coefficient of variation
}

// traceJob is one job as a reader finds it, in the trace's units.
type traceJob struct {
	at, size   float64
	class, key int32
}

// loadReplay reads the trace spec names, its file relative to dir.
func loadReplay(spec, dir string) (*replay, error) {
	c, err := param.Parse(spec)
	if err != nil {
		return nil, err
	}
	v, err := param.Bind(c, traceSchema)
	if err != nil {
		return nil, err
	}
	from, to := v.Float("from"), v.Float("to")
	if !(from >= 0) || math.IsInf(from, 0) || !(to >= 0) || math.IsInf(to, 0) || (to > 0 && to <= from) {
		return nil, v.Errorf("to", "want a window 0 <= from < to (to = 0: the end), got from=%v to=%v", from, to)
	}
	open := func(name string) (*os.File, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		return f, nil
	}
	f, err := open(v.Word("file"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var jobs []traceJob
	var names []string
	switch format := v.Word("format"); format {
	case "csv":
		jobs, err = readCSVTrace(f)
	case "swf":
		size := v.Word("size")
		if size != "runtime" && size != "work" {
			return nil, v.Errorf("size", "want runtime or work, got %q", size)
		}
		jobs, err = readSWF(f, size == "work")
	case "google":
		jobs, err = readGoogle(f)
	case "azure":
		if v.Word("durations") == "-" {
			return nil, v.Errorf("durations", "the azure format needs the function durations file too: durations=…")
		}
		var d *os.File
		if d, err = open(v.Word("durations")); err != nil {
			return nil, err
		}
		defer d.Close()
		jobs, names, err = readAzure(f, d)
	default:
		return nil, v.Errorf("format", "want csv, swf, google or azure, got %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", v.Word("file"), err)
	}
	slices.SortStableFunc(jobs, func(a, b traceJob) int { return cmpFloat(a.at, b.at) })
	var in []traceJob
	for _, j := range jobs {
		if j.at >= from && (to == 0 || j.at < to) {
			in = append(in, j)
		}
	}
	if len(in) < 2 {
		return nil, fmt.Errorf("trace %s: %d jobs in the window [%v, %v): want at least 2", v.Word("file"), len(in), from, to)
	}
	r := &replay{spec: v.Canonical(traceSchema), names: names}
	mean := 0.0
	for _, j := range in {
		mean += j.size / float64(len(in))
	}
	if !(mean > 0) {
		return nil, fmt.Errorf("trace %s: every job in the window has size 0", v.Word("file"))
	}
	r.unit = mean
	maxClass := int32(0)
	r.jobs = make([]Job, len(in))
	for i, j := range in {
		r.jobs[i] = Job{Arrival: (j.at - in[0].at) / mean, Size: j.size / mean, Class: j.class, Key: j.key}
		maxClass = max(maxClass, j.class)
		r.keyN = max(r.keyN, int(j.key)+1)
	}
	for len(r.names) <= int(maxClass) {
		r.names = append(r.names, "class"+strconv.Itoa(len(r.names)))
	}
	last := r.jobs[len(r.jobs)-1].Arrival
	if !(last > 0) {
		return nil, fmt.Errorf("trace %s: every job in the window arrives at once", v.Word("file"))
	}
	gap := last / float64(len(r.jobs)-1)
	r.span = last + gap
	m2 := 0.0
	for i := 1; i < len(r.jobs); i++ {
		d := r.jobs[i].Arrival - r.jobs[i-1].Arrival
		m2 += d * d / float64(len(r.jobs)-1)
	}
	r.scv = m2/(gap*gap) - 1
	return r, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rate is the trace's mean arrival rate in jobs per model unit.
func (r *replay) rate() float64 { return float64(len(r.jobs)) / r.span }

// job returns the i-th job of the replay (passes repeat), its arrival
// time multiplied by scale.
func (r *replay) job(i int64, scale float64) Job {
	n := int64(len(r.jobs))
	j := r.jobs[i%n]
	j.Arrival = (j.Arrival + float64(i/n)*r.span) * scale
	return j
}

// classSizes returns each class's empirical size distribution and its
// share of the jobs.
func (r *replay) classSizes() ([]Dist, []float64) {
	by := make([][]float64, len(r.names))
	for _, j := range r.jobs {
		by[j.Class] = append(by[j.Class], j.Size)
	}
	dists, weights := make([]Dist, len(by)), make([]float64, len(by))
	for c, xs := range by {
		dists[c] = newEmpirical(xs)
		weights[c] = float64(len(xs)) / float64(len(r.jobs))
	}
	return dists, weights
}

// keyPopularity is each key's share of the jobs.
func (r *replay) keyPopularity() []float64 {
	p := make([]float64, r.keyN)
	for _, j := range r.jobs {
		p[j.Key] += 1 / float64(len(r.jobs))
	}
	return p
}

// replayArrivals is a trace's arrival process as an ArrivalSpec: its
// canonical form and gap SCV (the Generator replays the jobs themselves).
type replayArrivals struct{ r *replay }

func (a replayArrivals) New(rate float64) Arrivals { checkRate(rate); return nil }
func (a replayArrivals) String() string            { return a.r.spec }
func (a replayArrivals) SCV() float64              { return a.r.scv }

// empirical is the distribution of a trace's sizes: mean, SCV and draws
// from the values themselves.
type empirical struct {
	xs        []float64
	mean, scv float64
}

func newEmpirical(xs []float64) *empirical {
	e := &empirical{xs: xs}
	if len(xs) == 0 {
		return e
	}
	m2 := 0.0
	for _, x := range xs {
		e.mean += x / float64(len(xs))
		m2 += x * x / float64(len(xs))
	}
	if e.mean > 0 {
		e.scv = m2/(e.mean*e.mean) - 1
	}
	return e
}

func (e *empirical) Rand(r *rand.Rand) float64 { return e.xs[r.IntN(len(e.xs))] }
func (e *empirical) Mean() float64             { return e.mean }
func (e *empirical) SCV() float64              { return e.scv }
func (e *empirical) String() string            { return "trace" }

// eachLine calls fn with each line of r that is not blank, trimmed, and
// its number; it stops at fn's first error. Lines may be long (1 MB: a
// day of per-minute counts).
func eachLine(r io.Reader, fn func(line int, text string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if text := strings.TrimSpace(sc.Text()); text != "" {
			if err := fn(line, text); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// eachCSVRow reads a CSV with a header naming its columns, need among
// them (what says what a header should name, for the error), and calls
// fn with each row's trimmed fields and the columns by name. With
// comments, lines starting with # are skipped.
func eachCSVRow(r io.Reader, need []string, what string, comments bool, fn func(line int, f []string, col map[string]int) error) error {
	col := map[string]int{}
	err := eachLine(r, func(line int, text string) error {
		if comments && strings.HasPrefix(text, "#") {
			return nil
		}
		f := strings.Split(text, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(col) == 0 {
			for i, name := range f {
				col[name] = i
			}
			for _, n := range need {
				if _, ok := col[n]; !ok {
					return fmt.Errorf("line %d: the header %q has no column %s (want %s)", line, text, n, what)
				}
			}
			return nil
		}
		if len(f) < len(col) {
			return fmt.Errorf("line %d: %d fields, the header has %d", line, len(f), len(col))
		}
		return fn(line, f, col)
	})
	if err == nil && len(col) == 0 {
		err = fmt.Errorf("empty: want a header with %s", what)
	}
	return err
}

// readCSVTrace reads a CSV trace with a header: arrival and size
// required, class and key optional, other columns ignored.
func readCSVTrace(r io.Reader) ([]traceJob, error) {
	var jobs []traceJob
	err := eachCSVRow(r, []string{"arrival", "size"}, "arrival and size, optionally class and key", false, func(line int, f []string, col map[string]int) error {
		var j traceJob
		var err error
		if j.at, err = number(f[col["arrival"]], "arrival"); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if j.size, err = number(f[col["size"]], "size"); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		for _, c := range []struct {
			name string
			to   *int32
		}{{"class", &j.class}, {"key", &j.key}} {
			if i, ok := col[c.name]; ok {
				if *c.to, err = whole(f[i], c.name); err != nil {
					return fmt.Errorf("line %d: %w", line, err)
				}
			}
		}
		if n := len(jobs); n > 0 && j.at < jobs[n-1].at {
			return fmt.Errorf("line %d: arrival %v is before the previous one (%v): rows must be in arrival order", line, j.at, jobs[n-1].at)
		}
		jobs = append(jobs, j)
		return nil
	})
	return jobs, err
}

// number parses a finite number ≥ 0.
func number(s, what string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		return 0, fmt.Errorf("%s: want a finite number >= 0, got %q", what, s)
	}
	return x, nil
}

// whole parses a whole number ≥ 0 that fits an int32.
func whole(s, what string) (int32, error) {
	x, err := strconv.ParseInt(s, 10, 32)
	if err != nil || x < 0 {
		return 0, fmt.Errorf("%s: want a whole number >= 0, got %q", what, s)
	}
	return int32(x), nil
}

// readSWF reads the Standard Workload Format.
func readSWF(r io.Reader, work bool) ([]traceJob, error) {
	var jobs []traceJob
	err := eachLine(r, func(line int, text string) error {
		if strings.HasPrefix(text, ";") {
			return nil
		}
		f := strings.Fields(text)
		if len(f) != 18 {
			return fmt.Errorf("line %d: want the 18 fields of the Standard Workload Format, got %d", line, len(f))
		}
		v := make([]float64, 18)
		for i, s := range f {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("line %d: field %d: want a number, got %q", line, i+1, s)
			}
			v[i] = x
		}
		submit, run, procs, user, queue := v[1], v[3], v[4], v[11], v[14]
		if run < 0 || submit < 0 {
			return nil // unknown run time (or submit time): not replayable
		}
		size := run
		if work {
			if procs < 1 {
				return nil
			}
			size = run * procs
		}
		j := traceJob{at: submit, size: size}
		if user >= 0 && user <= math.MaxInt32 {
			j.key = int32(user)
		}
		if queue >= 0 && queue < 1000 {
			j.class = int32(queue)
		}
		jobs = append(jobs, j)
		return nil
	})
	return jobs, err
}

// readGoogle reads Google cluster-trace task events (clusterdata 2011).
func readGoogle(r io.Reader) ([]traceJob, error) {
	type task struct {
		submit, schedule, finish float64
		class                    int32
		job                      int32
	}
	var tasks []*task // in order of appearance
	byID := map[string]*task{}
	jobIDs := map[string]int32{}
	err := eachLine(r, func(line int, text string) error {
		f := strings.Split(text, ",")
		if len(f) != 13 {
			return fmt.Errorf("line %d: want the 13 fields of a task event (time, missing info, job id, task index, machine id, event type, user, scheduling class, priority, cpu, memory, disk, constraint), got %d", line, len(f))
		}
		t, err := number(f[0], "time")
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		ev, err := whole(f[5], "event type")
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		id := f[2] + "/" + f[3]
		tk := byID[id]
		if tk == nil {
			if _, ok := jobIDs[f[2]]; !ok {
				jobIDs[f[2]] = int32(len(jobIDs))
			}
			tk = &task{submit: -1, schedule: -1, finish: -1, job: jobIDs[f[2]]}
			byID[id] = tk
			tasks = append(tasks, tk)
		}
		switch ev {
		case 0: // SUBMIT
			if tk.submit < 0 {
				tk.submit = t
				if c, err := whole(f[7], "scheduling class"); err == nil {
					tk.class = c
				}
			}
		case 1: // SCHEDULE
			tk.schedule = t
		case 4: // FINISH
			tk.finish = t
		}
		return nil
	})
	var jobs []traceJob
	for _, tk := range tasks {
		if tk.submit <= 0 || tk.schedule < tk.submit || tk.finish < tk.schedule {
			continue // before the trace, or never ran to its end
		}
		jobs = append(jobs, traceJob{at: tk.submit, size: tk.finish - tk.schedule, class: tk.class, key: tk.job})
	}
	return jobs, err
}

// readAzure reads the Azure Functions trace: invocations per minute and
// average durations (ms; converted to seconds, the invocations' unit).
func readAzure(inv, dur io.Reader) ([]traceJob, []string, error) {
	avg := map[string]float64{}
	err := eachLine(dur, func(line int, text string) error {
		f := strings.Split(text, ",")
		switch {
		case line == 1 && (len(f) < 4 || f[3] != "Average"):
			return fmt.Errorf("durations line 1: want a header HashOwner,HashApp,HashFunction,Average,…, got %q", text)
		case line == 1 || len(f) < 4:
			return nil
		}
		ms, err := number(f[3], "Average")
		if err != nil {
			return fmt.Errorf("durations line %d: %w", line, err)
		}
		avg[f[0]+"/"+f[1]+"/"+f[2]] = ms / 1000
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var jobs []traceJob
	var triggers []string
	fn := int32(0)
	err = eachLine(inv, func(line int, text string) error {
		f := strings.Split(text, ",")
		switch {
		case line == 1 && (len(f) < 5 || f[3] != "Trigger" || f[4] != "1"):
			return fmt.Errorf("invocations line 1: want a header HashOwner,HashApp,HashFunction,Trigger,1,2,…, got %q", text)
		case line == 1 || len(f) < 5:
			return nil
		}
		d, ok := avg[f[0]+"/"+f[1]+"/"+f[2]]
		if !ok {
			return nil // no duration: left out
		}
		class := int32(slices.Index(triggers, f[3]))
		if class < 0 {
			class = int32(len(triggers))
			triggers = append(triggers, f[3])
		}
		for m, s := range f[4:] {
			n, err := whole(s, "invocations")
			if err != nil {
				return fmt.Errorf("invocations line %d, minute %d: %w", line, m+1, err)
			}
			for k := range n {
				jobs = append(jobs, traceJob{at: 60*float64(m) + (float64(k)+0.5)*60/float64(n), size: d, class: class, key: fn})
			}
		}
		fn++
		return nil
	})
	return jobs, triggers, err
}
