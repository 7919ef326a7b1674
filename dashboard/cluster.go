package dashboard

import (
	"net/http"
	"sync"
	"time"

	"github.com/loadlab/loadlab/node/gossip"
)

// Members is a cluster the Server watches live: the member table of a
// gossip member that joined it (*gossip.Gossip). Members must be safe for
// concurrent use.
type Members interface {
	Members() []gossip.Member
}

// NodeSample is one agent as its gossiped load showed it.
type NodeSample struct {
	Name        string  `json:"name"`
	Status      string  `json:"status"` // serf's: alive, leaving, left, failed
	Queue       int     `json:"queue"`  // jobs present, waiting or in service
	Running     int     `json:"running"`
	Servers     int     `json:"servers"`
	Utilization float64 `json:"utilization"` // running / servers: the busy share of its servers now
	Age         float64 `json:"age"`         // seconds since the agent published this load (−1: none yet)
}

// ClusterSample is the cluster at one time.
type ClusterSample struct {
	Time   float64      `json:"time"` // seconds since the server started
	Nodes  []NodeSample `json:"nodes"`
	Failed int          `json:"failed"` // agents serf marks failed
}

// history keeps the last samples of a watched cluster or run.
type history[S any] struct {
	mu      sync.Mutex
	start   time.Time
	at      float64 // the newest sample's time
	samples []S
}

// historyLen is how many samples the page can draw (5 min at 1 s).
const historyLen = 300

// sample returns the newest sample, first reading a new one with read
// (given its time, seconds since the first, and the newest before it,
// nil for the first) and appending it when the newest is older than
// every.
func (h *history[S]) sample(now time.Time, every time.Duration, read func(t float64, prev *S) S) S {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.start.IsZero() {
		h.start = now
	}
	t := now.Sub(h.start).Seconds()
	n := len(h.samples)
	if n > 0 && t-h.at < every.Seconds()/2 {
		return h.samples[n-1]
	}
	var prev *S
	if n > 0 {
		prev = &h.samples[n-1]
	}
	s := read(t, prev)
	h.at = t
	h.samples = append(h.samples, s)
	if len(h.samples) > historyLen {
		h.samples = h.samples[len(h.samples)-historyLen:]
	}
	return s
}

func (h *history[S]) all() []S {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]S{}, h.samples...)
}

// readCluster reads m's agents at now, time t of the history.
func readCluster(m Members, now time.Time, t float64) ClusterSample {
	s := ClusterSample{Time: t, Nodes: []NodeSample{}}
	for _, mem := range m.Members() {
		if mem.Tags["role"] != "agent" {
			continue
		}
		n := NodeSample{Name: mem.Name, Status: mem.Status.String(), Queue: mem.Load.Queue, Running: mem.Load.Running, Servers: mem.Load.Servers, Age: -1}
		if mem.HasLoad {
			n.Age = mem.Age(now).Seconds()
		}
		if n.Servers > 0 {
			n.Utilization = float64(n.Running) / float64(n.Servers)
		}
		if n.Status == "failed" {
			s.Failed++
		}
		s.Nodes = append(s.Nodes, n)
	}
	return s
}

// sampleCluster samples the watched cluster when the newest sample is a
// Poll old, and returns the newest.
func (s *Server) sampleCluster(now time.Time) ClusterSample {
	return s.live.sample(now, s.cfg.Poll, func(t float64, _ *ClusterSample) ClusterSample { return readCluster(s.cfg.Cluster, now, t) })
}

// nodes serves the watched cluster's samples so far (404 when the server
// watches no cluster).
func (s *Server) nodes(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cluster == nil {
		http.Error(w, "no cluster watched: start loadlab serve with --join", http.StatusNotFound)
		return
	}
	s.sampleCluster(time.Now())
	writeJSON(w, s.live.all())
}
