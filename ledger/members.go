package ledger

import "github.com/loadlab/loadlab/results"

// members is the nodes present in an elastic cluster (package scale) and
// their integral, the node-seconds.
type members struct {
	on   bool
	n    int
	t    float64            // time of the last change
	area float64            // ∫ nodes present dt up to t
	over results.TimeSeries // nodes present over time (with bins)
}

// Members records that from time t, n nodes are present: starting, in
// service or draining (elastic clusters). A fixed cluster never calls it
// and its records carry no node-seconds.
func (l *Ledger) Members(t float64, n int) {
	t = l.now(t)
	m := &l.members
	if m.on {
		m.area += float64(m.n) * (t - m.t)
		m.over.Add(m.t, t, float64(m.n))
	}
	m.on, m.n, m.t = true, n, t
}

// BusyArea is ∫ busy servers dt of every node together, from time 0 to
// t, the latest time fed: what an autoscaler's utilisation is made of.
func (l *Ledger) BusyArea(t float64) float64 {
	t = l.now(t)
	s := 0.0
	for i := range l.nodes {
		l.advance(i, t)
		s += l.nodes[i].busyArea
	}
	return s
}

// fillMembers sets r's node-seconds and nodes over time, up to end.
func (l *Ledger) fillMembers(r *results.Result, end float64) {
	m := &l.members
	if !m.on {
		return
	}
	l.Members(end, m.n)
	r.NodeSeconds = m.area
	r.NodesOverTime = m.over.Means(1)
}
