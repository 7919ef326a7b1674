package policy

import (
	"math"
	"sort"

	"github.com/loadlab/loadlab/param"
)

var hashInfo = Info{
	Name: "hash",
	Params: param.Schema{
		{Name: "eps", Kind: param.Float, Default: "0.25", Doc: "load bound ε ≥ 0: a node takes a key while it has fewer than ceil((1+ε)·(in flight+1)/N); ε ≥ N−1 means no bound"},
		{Name: "vnodes", Kind: param.Int, Default: "100", Doc: "virtual points per node on the ring"},
	},
	Doc: "consistent hashing of the job's key with bounded loads: the first node clockwise whose in-flight count is under the bound",
	Ref: "Mirrokni, Thorup & Zadimoghaddam, SODA 2018 (consistent hashing with bounded loads); Karger et al., STOC 1997",
}

// ringPoint is one virtual point of a node on the hash ring.
type ringPoint struct {
	hash uint64
	node NodeID
}

// consistentHash places node n's virtual point k at mix64(n<<32 | k) and a
// key at mix64(key | 1<<63): seedless, so every run and every dispatcher
// builds the same ring. A key goes to the first point at or after its hash
// (wrapping around) whose node has fewer than
// ceil((1+ε)·(m+1)/N) jobs in flight, m being the dispatcher's jobs in
// flight before this one (counted as leastconn does). The bound is at least
// the mean after the placement, so some node is always under it. ε = 0 is
// the strictest bound (no node above the rounded-up mean); once 1+ε ≥ N the
// bound is never reached and this is plain consistent hashing.
type consistentHash struct {
	eps    float64
	ring   []ringPoint
	active inflight
}

func newHash(p param.Values) (DispatchBuilder, error) {
	eps := p.Float("eps")
	if eps < 0 {
		return nil, p.Errorf("eps", "must be ≥ 0, got %v", eps)
	}
	if err := atLeast(p, "vnodes", 1); err != nil {
		return nil, err
	}
	vnodes := p.Int("vnodes")
	return func(env Env) Dispatcher {
		return &consistentHash{eps: eps, ring: hashRing(env.Nodes, vnodes), active: newInflight(env.Nodes)}
	}, nil
}

// hashRing returns the virtual points of nodes 0..nodes-1 sorted clockwise.
func hashRing(nodes, vnodes int) []ringPoint {
	ring := make([]ringPoint, 0, nodes*vnodes)
	for n := 0; n < nodes; n++ {
		for k := 0; k < vnodes; k++ {
			ring = append(ring, ringPoint{hash: mix64(uint64(n)<<32 | uint64(k)), node: NodeID(n)})
		}
	}
	sort.Slice(ring, func(i, j int) bool {
		a, b := ring[i], ring[j]
		return a.hash < b.hash || a.hash == b.hash && a.node < b.node
	})
	return ring
}

// keyHash is a key's position on the ring.
func keyHash(key int32) uint64 { return mix64(uint64(uint32(key)) | 1<<63) }

// mix64 is the finaliser of SplitMix64 (Steele, Lea & Flood 2014): a fixed
// bijection that spreads nearby integers over the whole 64-bit range.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// bound is the most jobs in flight a node may hold before taking another.
func (d *consistentHash) bound() int {
	n := float64(len(d.active.count))
	c := math.Ceil((1 + d.eps) * float64(d.active.total+1) / n)
	return int(min(c, math.MaxInt32))
}

func (d *consistentHash) Pick(_ View, j *Job) NodeID {
	h := keyHash(j.Key)
	i := sort.Search(len(d.ring), func(i int) bool { return d.ring[i].hash >= h })
	limit := d.bound()
	n := d.ring[i%len(d.ring)].node
	for k := 0; k < len(d.ring); k++ {
		p := d.ring[(i+k)%len(d.ring)].node
		if d.active.count[p] < limit {
			n = p
			break
		}
	}
	d.active.add(n)
	return n
}

// Done counts a completion of a job placed here.
func (d *consistentHash) Done(_ View, j *Job) { d.active.done(j) }
