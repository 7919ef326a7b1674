// Package dashboard serves a local web page that watches sweep
// directories: it lists the sweeps and their specs, shows a running
// sweep's progress and redraws its figures as points land (server-sent
// events), and shows a finished sweep's figures, report and tables, with
// a form to draw a chosen metric for chosen policies and loads.
//
// The page is the package's own HTML, CSS and JavaScript, embedded in the
// binary. Figures are SVGs drawn by package analysis from the stored
// results, cached per version of the results.
package dashboard

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loadlab/loadlab/analysis"
	"github.com/loadlab/loadlab/report"
	"github.com/loadlab/loadlab/results"
	"github.com/loadlab/loadlab/stats"
)

//go:embed static
var static embed.FS

// Config says what a Server watches and who may see it.
type Config struct {
	// Dirs are the roots searched for sweep directories (holding
	// spec.yaml), each Depth levels down. Default: out.
	Dirs  []string
	Depth int // default 3
	// Poll is how often the event stream checks the sweeps' results for
	// new points. Default: 1 s.
	Poll time.Duration
	// Secrets, when set, are required of every request: as a bearer token
	// (Authorization: Bearer SECRET) or as the password of basic auth (any
	// user name). Any of them is accepted (a rotation list). Listen
	// refuses an address off loopback without one.
	Secrets [][]byte
	// Cluster, when set, is a cluster of agents watched live: each agent's
	// queue, running jobs, utilisation and gossip age, sampled every Poll
	// and pushed as "nodes" events.
	Cluster Members
	// Scrape are the URLs of Prometheus endpoints (`--prometheus` of
	// loadlab run, sweep or agent) of a run watched live: each node's
	// queue, utilisation, TLP and gossip age, the migrations between
	// nodes and the jobs completed and failed, read every Poll and pushed
	// as "run" events. A URL without a scheme takes http://, one without
	// a path /metrics. Default: none.
	Scrape []string
	// Cache is the directory figures and reports are drawn into.
	// Default: a fresh temporary directory, removed by Close.
	Cache string
}

// DefaultConfig watches out/ and polls every second.
func DefaultConfig() Config {
	return Config{Dirs: []string{"out"}, Depth: 3, Poll: time.Second}
}

// Validate reports a bad setting, naming the field.
func (c Config) Validate() error {
	switch {
	case len(c.Dirs) == 0:
		return errors.New("dashboard: Dirs: want at least one directory to watch")
	case c.Depth < 1:
		return fmt.Errorf("dashboard: Depth %d: want at least 1", c.Depth)
	case c.Poll <= 0:
		return fmt.Errorf("dashboard: Poll %v: want a positive interval", c.Poll)
	}
	for _, u := range c.Scrape {
		if _, err := scrapeURL(u); err != nil {
			return fmt.Errorf("dashboard: Scrape: %w", err)
		}
	}
	return nil
}

// Server is the dashboard: an http.Handler. Its methods are safe for
// concurrent use.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	tmpRoot string // the cache made by New, removed by Close

	mu     sync.Mutex        // serialises drawing; guards drawn
	drawn  map[string]string // sweep ID → version whose figures are in the cache
	nextID int

	live history[ClusterSample] // samples of Cluster
	runs history[RunSample]     // samples of the Scrape endpoints

	countMu sync.Mutex
	counts  map[string]listed // sweep directory → its last count, reused while its files are unchanged
}

// listed is a sweep's entry in the list as last read.
type listed struct {
	name string
	c    count
}

// New makes a Server for cfg (zero fields take DefaultConfig's values).
func New(cfg Config) (*Server, error) {
	def := DefaultConfig()
	if len(cfg.Dirs) == 0 {
		cfg.Dirs = def.Dirs
	}
	if cfg.Depth == 0 {
		cfg.Depth = def.Depth
	}
	if cfg.Poll == 0 {
		cfg.Poll = def.Poll
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Scrape = slices.Clone(cfg.Scrape)
	for i, u := range cfg.Scrape {
		cfg.Scrape[i], _ = scrapeURL(u) // Validate checked it
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), drawn: map[string]string{}, counts: map[string]listed{}}
	if s.cfg.Cache == "" {
		dir, err := os.MkdirTemp("", "loadlab-dashboard-")
		if err != nil {
			return nil, fmt.Errorf("dashboard: cache: %w", err)
		}
		s.cfg.Cache, s.tmpRoot = dir, dir
	}
	sub, _ := fs.Sub(static, "static")
	s.mux.Handle("GET /", http.FileServerFS(sub))
	s.mux.HandleFunc("GET /api/sweeps", s.sweeps)
	s.mux.HandleFunc("GET /api/sweep", s.sweep)
	s.mux.HandleFunc("GET /api/figure", s.figure)
	s.mux.HandleFunc("GET /api/draw", s.draw)
	s.mux.HandleFunc("GET /api/report", s.report)
	s.mux.HandleFunc("GET /api/events", s.events)
	s.mux.HandleFunc("GET /api/nodes", s.nodes)
	s.mux.HandleFunc("GET /api/run", s.run)
	return s, nil
}

// Close removes the cache New made.
func (s *Server) Close() error {
	if s.tmpRoot == "" {
		return nil
	}
	return os.RemoveAll(s.tmpRoot)
}

// ServeHTTP checks the secret, when there is one, and serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.Secrets) > 0 && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="loadlab", charset="UTF-8"`)
		http.Error(w, "the cluster's secret is required (bearer token, or the password of basic auth)", http.StatusUnauthorized)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	var given string
	if _, pw, ok := r.BasicAuth(); ok {
		given = pw
	} else if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		given = t
	}
	ok := false
	for _, sec := range s.cfg.Secrets {
		ok = subtle.ConstantTimeCompare([]byte(given), sec) == 1 || ok
	}
	return ok
}

// Listen opens addr for the dashboard. An address whose host is not a
// loopback one (127.0.0.0/8, ::1, localhost) is refused unless the
// configuration holds the cluster's secret.
func (s *Server) Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080: %w", addr, err)
	}
	if !loopback(host) && len(s.cfg.Secrets) == 0 {
		return nil, fmt.Errorf("--addr %s is off loopback: give the cluster's secret (--secret-file or LOADLAB_SECRET) so the page asks for it, or serve on 127.0.0.1", addr)
	}
	return net.Listen("tcp", addr)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves on l until ctx ends; with a Cluster it samples it every
// Poll meanwhile.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.cfg.Cluster != nil || len(s.cfg.Scrape) > 0 { // the histories grow whether a page is open or not
		go func() {
			tick := time.NewTicker(s.cfg.Poll)
			defer tick.Stop()
			for {
				s.sampleLive(ctx)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	}
}

// sweepSummary is a sweep in the list.
type sweepSummary struct {
	ID   string `json:"id"`
	Dir  string `json:"dir"`
	Name string `json:"name"`
	Progress
	Error string `json:"error,omitempty"`
}

func (s *Server) list() []sweepSummary {
	out := []sweepSummary{} // [] in JSON, not null

	now := time.Now()
	for _, ref := range findSweeps(s.cfg.Dirs, s.cfg.Depth) {
		sum := sweepSummary{ID: ref.ID, Dir: ref.Dir}
		l, err := s.count(ref.Dir, now)
		if err != nil {
			sum.Error = err.Error()
		} else {
			sum.Name, sum.Progress = l.name, progressAt(l.c, now)
		}
		out = append(out, sum)
	}
	return out
}

// count reads the progress of the sweep in dir, reading its results again
// only when they or its spec changed since the last time.
func (s *Server) count(dir string, now time.Time) (listed, error) {
	v, st := statVersion(dir), specTime(dir)
	s.countMu.Lock()
	l, ok := s.counts[dir]
	s.countMu.Unlock()
	if ok && l.c.v == v && l.c.spec.Equal(st) {
		return l, nil
	}
	spec, recs, _, err := progressOf(dir, now)
	if err != nil {
		return listed{}, err
	}
	l = listed{spec.Name, count{len(recs), spec.Count(), v, st}}
	s.countMu.Lock()
	s.counts[dir] = l
	s.countMu.Unlock()
	return l, nil
}

func (s *Server) sweeps(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.list())
}

// lookup finds the sweep a request names with ?id=.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (sweepRef, bool) {
	id := r.URL.Query().Get("id")
	for _, ref := range findSweeps(s.cfg.Dirs, s.cfg.Depth) {
		if ref.ID == id {
			return ref, true
		}
	}
	http.Error(w, fmt.Sprintf("no sweep %q (GET /api/sweeps lists them)", id), http.StatusNotFound)
	return sweepRef{}, false
}

// sweepDetail is everything the page shows of one sweep.
type sweepDetail struct {
	sweepSummary
	Spec     string     `json:"spec"`
	Figures  []string   `json:"figures"` // SVG file names, for /api/figure
	Policies []string   `json:"policies"`
	Loads    []float64  `json:"loads"`
	Metrics  []metric   `json:"metrics"`
	Table    []tableRow `json:"table"`
}

type metric struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// tableRow is mean response time ± its 95% half-width at one load of one
// policy (and workload).
type tableRow struct {
	Workload string   `json:"workload"`
	Policy   string   `json:"policy"`
	Load     float64  `json:"load"`
	X        float64  `json:"x,omitempty"`
	N        int      `json:"n"`
	Mean     *float64 `json:"mean"` // null when not a number
	Half     *float64 `json:"half"`
	P99      *float64 `json:"p99"`
}

// finite is f, or nil for NaN and ±Inf, which JSON cannot hold.
func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func (s *Server) sweep(w http.ResponseWriter, r *http.Request) {
	ref, ok := s.lookup(w, r)
	if !ok {
		return
	}
	spec, recs, p, err := progressOf(ref.Dir, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	text, err := os.ReadFile(filepath.Join(ref.Dir, "spec.yaml"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	d := sweepDetail{sweepSummary: sweepSummary{ID: ref.ID, Dir: ref.Dir, Name: spec.Name, Progress: p}, Spec: string(text), Policies: spec.Labels(), Loads: spec.Loads}
	for _, m := range stats.Metrics() {
		d.Metrics = append(d.Metrics, metric{m.Name, m.Label})
	}
	cells := stats.Summarize(recs)
	for _, c := range cells {
		d.Table = append(d.Table, tableRow{c.Workload, c.Policy, c.Load, c.X, c.N, finite(c.Mean), finite(c.MeanHalf), finite(c.P99)})
	}
	if len(recs) > 0 {
		figs, err := s.figures(ref, p.Version, recs, cells, spec.Labels(), spec.Metrics)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		d.Figures = figs
	}
	writeJSON(w, d)
}

// figureDir is where the figures of a sweep's results version are drawn.
func (s *Server) figureDir(id, v string) string {
	return filepath.Join(s.cfg.Cache, "figures", strings.ReplaceAll(id, "/", "_"), v)
}

// figures draws the SVG figures of one version of a sweep's results,
// once, and returns their file names.
func (s *Server) figures(ref sweepRef, v string, recs []results.Record, cells []stats.Cell, order, metrics []string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.figureDir(ref.ID, v)
	if s.drawn[ref.ID] != v {
		opt := analysis.DefaultFigureOptions()
		opt.Formats = []string{"svg"}
		opt.Metrics = metrics
		if _, err := analysis.WriteFigures(dir, cells, order, opt); err != nil {
			return nil, fmt.Errorf("sweep %s: figures: %w", ref.Dir, err)
		}
		if _, err := analysis.WriteOverTimeFigures(dir, recs, order, opt); err != nil {
			return nil, fmt.Errorf("sweep %s: figures over time: %w", ref.Dir, err)
		}
		if old, ok := s.drawn[ref.ID]; ok {
			_ = os.RemoveAll(s.figureDir(ref.ID, old))
		}
		s.drawn[ref.ID] = v
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".svg") {
			names = append(names, e.Name())
		}
	}
	slices.SortStableFunc(names, func(a, b string) int { return figureRank(a) - figureRank(b) })
	return names, nil
}

// figureOrder is the order the page shows a sweep's figures in, as the
// report does: response time first; the others follow by name.
var figureOrder = []string{"response", "p99", "normalized", "overhead", "cdf"}

func figureRank(name string) int {
	base := strings.TrimSuffix(name, ".svg")
	for i, f := range figureOrder {
		if base == f || strings.HasSuffix(base, "_"+f) {
			return i
		}
	}
	return len(figureOrder)
}

// figure serves one SVG of a sweep's current figures (?id=&name=); the
// page adds &v=VERSION so that a new version is a new URL.
func (s *Server) figure(w http.ResponseWriter, r *http.Request) {
	ref, ok := s.lookup(w, r)
	if !ok {
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" || name != filepath.Base(name) || !strings.HasSuffix(name, ".svg") {
		http.Error(w, fmt.Sprintf("name %q: want the file name of one of the sweep's SVG figures", name), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	v, ok := s.drawn[ref.ID]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "figures not drawn yet: GET /api/sweep?id= first", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFile(w, r, filepath.Join(s.figureDir(ref.ID, v), name))
}

// draw draws one metric against load for the chosen policies and loads
// (?id=&metric=&policy=…&load=…; no policy or load: all of them) and
// serves it as SVG.
func (s *Server) draw(w http.ResponseWriter, r *http.Request) {
	ref, ok := s.lookup(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	name := q.Get("metric")
	if _, ok := stats.MetricByName(name); !ok {
		http.Error(w, fmt.Sprintf("metric %q: not a metric (`loadlab metrics` lists them)", name), http.StatusBadRequest)
		return
	}
	var loads []float64
	for _, l := range q["load"] {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil {
			http.Error(w, fmt.Sprintf("load %q: want a number", l), http.StatusBadRequest)
			return
		}
		loads = append(loads, f)
	}
	spec, recs, _, err := progressOf(ref.Dir, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pols := q["policy"]
	var cells []stats.Cell
	for _, c := range stats.Summarize(recs) {
		if (len(pols) == 0 || slices.Contains(pols, c.Policy)) && (len(loads) == 0 || slices.Contains(loads, c.Load)) {
			cells = append(cells, c)
		}
	}
	if len(cells) == 0 {
		http.Error(w, "no stored points of these policies at these loads yet", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.nextID++
	dir := filepath.Join(s.cfg.Cache, "draw", strconv.Itoa(s.nextID))
	s.mu.Unlock()
	defer os.RemoveAll(dir)
	opt := analysis.DefaultFigureOptions()
	opt.Formats = []string{"svg"}
	opt.Metrics = []string{name}
	paths, err := analysis.WriteFigures(dir, cells, spec.Labels(), opt)
	if err != nil {
		http.Error(w, fmt.Sprintf("figure of %s: %v", name, err), http.StatusBadRequest)
		return
	}
	for _, p := range paths {
		if b := filepath.Base(p); strings.Contains(b, name+"_vs_") && strings.HasSuffix(b, ".svg") {
			w.Header().Set("Content-Type", "image/svg+xml")
			http.ServeFile(w, r, p)
			return
		}
	}
	http.Error(w, fmt.Sprintf("metric %s: no figure drawn (no values at these points)", name), http.StatusNotFound)
}

// report writes the sweep's report (package report) and serves its
// Markdown text.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	ref, ok := s.lookup(w, r)
	if !ok {
		return
	}
	rs, err := report.Load(ref.Dir)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := filepath.Join(s.cfg.Cache, "report", strings.ReplaceAll(ref.ID, "/", "_"))
	if _, err := report.Write(rs, out); err != nil {
		http.Error(w, fmt.Sprintf("report of %s: %v", ref.Dir, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	http.ServeFile(w, r, filepath.Join(out, "report.md"))
}

// events is a server-sent event stream: an event "sweeps" with the list
// (as /api/sweeps) at once and whenever a sweep appears, goes or gains
// points; with a watched cluster an event "nodes" with its newest sample
// every Poll, and with scraped endpoints an event "run" with theirs. The page re-fetches what it shows when the version
// of its sweep changes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl.Flush()     // the headers, at once: the page sees the stream open
	last := "\x00" // no list yet: the first is always sent, the empty one too
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		list := s.list()
		var key strings.Builder
		for _, l := range list {
			fmt.Fprintf(&key, "%s %s %s %s\n", l.ID, l.Version, l.State, l.Error)
		}
		if key.String() != last {
			last = key.String()
			data, _ := json.Marshal(list)
			if _, err := fmt.Fprintf(w, "event: sweeps\ndata: %s\n\n", data); err != nil {
				return
			}
			fl.Flush()
		}
		for _, ev := range s.sampleLive(r.Context()) {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data); err != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// liveEvent is an event of the stream: its name and JSON data.
type liveEvent struct {
	name string
	data []byte
}

// sampleLive samples the watched cluster and the scraped run, each when
// watched, and returns their newest samples as events "nodes" and "run".
func (s *Server) sampleLive(ctx context.Context) []liveEvent {
	var evs []liveEvent
	if s.cfg.Cluster != nil {
		data, _ := json.Marshal(s.sampleCluster(time.Now()))
		evs = append(evs, liveEvent{"nodes", data})
	}
	if len(s.cfg.Scrape) > 0 {
		data, _ := json.Marshal(s.sampleRun(ctx, time.Now()))
		evs = append(evs, liveEvent{"run", data})
	}
	return evs
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
