// Package topology says where a cluster's nodes are: they belong to
// sites, and a latency and a bandwidth separate every two sites; clients
// belong to regions, each at a latency from each site (the lecture's
// wide-area clusters, Tanenbaum & van Steen, ch. 3: servers near their
// clients, DNS-based redirection). Without a topology every node is as
// far from every other as the cost model's latency says, and the
// dispatcher is as far from each node as the spec's distances say.
//
// Latencies are one way, in model units; bandwidths are bytes per model
// unit, 0 meaning infinite. The forms:
//
//   - lan(latency, bandwidth): one site, one region; latency between any
//     two nodes and from the clients to any node.
//   - sites(latency=[…], bandwidth=[…], clients=[…], nodes=[…]): S sites
//     given by an S×S latency matrix, row by row; bandwidth is one value
//     for every path or an S×S matrix; clients is an R×S matrix of the
//     latency from each client region to each site (default: one region
//     per site, at the site's latencies: the clients of region r sit at
//     site r); nodes the nodes of each site (default: spread evenly).
//   - Generated: ring(n), torus(x, y), hypercube(d), fattree(k). The
//     latency between two sites is local + hops × hop, with hops the
//     links between them: on a ring of n sites min(|i−j|, n−|i−j|); on an
//     x×y torus the ring distance along each axis, summed; on a hypercube
//     of 2^d sites the bits in which i and j differ; in a k-ary fat tree
//     (Al-Fares et al., SIGCOMM 2008) the sites are its k²/2 racks (edge
//     switches) and the hops those between two hosts: 2 in one rack, 4
//     between racks of one pod, 6 between pods. Every path has the same
//     bandwidth; client region r sits at site r.
//
// Nodes are spread over the sites in contiguous blocks as even as the
// count allows (node i at site ⌊i·S/N⌋) unless sites gives nodes.
package topology

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/loadlab/loadlab/param"
)

// MaxSites bounds a topology (its matrices hold MaxSites² entries).
const MaxSites = 1024

// Topology is sites, the paths between them and client regions.
type Topology struct {
	Kind      string      // lan, sites, ring, torus, hypercube or fattree
	latency   [][]float64 // [site][site], one way
	bandwidth [][]float64 // [site][site]; 0: infinite
	clients   [][]float64 // [region][site], one way
	counts    []int       // nodes of each site; nil: spread evenly
	spec      string      // canonical form
}

var (
	hop   = param.Param{Name: "hop", Kind: param.Float, Default: "1", Doc: "one-way latency of one hop between sites, model units, >= 0"}
	local = param.Param{Name: "local", Kind: param.Float, Default: "0", Doc: "one-way latency inside a site, model units, >= 0 (added to every path)"}
	bw    = param.Param{Name: "bandwidth", Kind: param.Float, Default: "0", Doc: "bandwidth of every path, bytes per model unit, >= 0 (0: infinite)"}
)

var forms = param.Registry[*Topology]{
	{Name: "lan", Doc: "one site: every node and the clients at the same latency",
		Schema: param.Schema{{Name: "latency", Kind: param.Float, Default: "0", Doc: "one-way latency between nodes and from the clients, model units, >= 0"}, bw},
		Build: func(v param.Values) (*Topology, error) {
			if err := nonNegative(v, "latency", "bandwidth"); err != nil {
				return nil, err
			}
			return generated("lan", 1, v.Float("latency"), 0, v.Float("bandwidth"), func(int, int) int { return 0 }), nil
		}},
	{Name: "sites", Doc: "sites given by their latency matrix (row by row), bandwidths, client regions and nodes",
		Schema: param.Schema{
			{Name: "latency", Kind: param.Floats, Doc: "S×S one-way latencies between sites, row by row, model units, >= 0"},
			{Name: "bandwidth", Kind: param.Floats, Default: "[0]", Doc: "one bandwidth for every path, or S×S, bytes per model unit (0: infinite)"},
			{Name: "clients", Kind: param.Floats, Default: "[]", Doc: "R×S one-way latencies from each client region to each site ([]: region r at site r)"},
			{Name: "nodes", Kind: param.Floats, Default: "[]", Doc: "nodes of each site ([]: spread evenly)"},
		},
		Build: buildSites},
	{Name: "ring", Doc: "n sites on a ring: hops min(|i−j|, n−|i−j|)",
		Schema: param.Schema{{Name: "n", Kind: param.Int, Doc: "sites, >= 1"}, hop, local, bw},
		Build: func(v param.Values) (*Topology, error) {
			n := v.Int("n")
			if err := sized(v, "n", n, 1); err != nil {
				return nil, err
			}
			return gen(v, "ring", n, func(i, j int) int { return ringHops(i, j, n) })
		}},
	{Name: "torus", Doc: "x×y sites on a 2-D torus: ring hops along each axis, summed",
		Schema: param.Schema{{Name: "x", Kind: param.Int, Doc: "sites along x, >= 1"}, {Name: "y", Kind: param.Int, Doc: "sites along y, >= 1"}, hop, local, bw},
		Build: func(v param.Values) (*Topology, error) {
			x, y := v.Int("x"), v.Int("y")
			if err := sized(v, "x", x, 1); err != nil {
				return nil, err
			}
			if err := sized(v, "y", y, 1); err != nil {
				return nil, err
			}
			if x*y > MaxSites {
				return nil, v.Errorf("y", "x·y must be at most %d sites, got %d", MaxSites, x*y)
			}
			return gen(v, "torus", x*y, func(i, j int) int { return ringHops(i%x, j%x, x) + ringHops(i/x, j/x, y) })
		}},
	{Name: "hypercube", Doc: "2^d sites on a hypercube: hops are the bits in which two sites' numbers differ",
		Schema: param.Schema{{Name: "d", Kind: param.Int, Doc: "dimension, 0 to 10"}, hop, local, bw},
		Build: func(v param.Values) (*Topology, error) {
			d := v.Int("d")
			if d < 0 || d > 10 {
				return nil, v.Errorf("d", "must be between 0 and 10, got %d", d)
			}
			return gen(v, "hypercube", 1<<d, func(i, j int) int { return bits.OnesCount(uint(i ^ j)) })
		}},
	{Name: "fattree", Doc: "a k-ary fat tree's k²/2 racks: hops 2 in a rack, 4 within a pod, 6 across pods",
		Schema: param.Schema{{Name: "k", Kind: param.Int, Doc: "switch ports, even, 2 to 44"}, hop, bw},
		Build: func(v param.Values) (*Topology, error) {
			k := v.Int("k")
			if k < 2 || k > 44 || k%2 != 0 {
				return nil, v.Errorf("k", "must be even, between 2 and 44, got %d", k)
			}
			if err := nonNegative(v, "hop", "bandwidth"); err != nil {
				return nil, err
			}
			perPod := k / 2 // racks (edge switches) of a pod
			return generated("fattree", k*perPod, 0, v.Float("hop"), v.Float("bandwidth"), func(i, j int) int {
				switch {
				case i == j:
					return 2
				case i/perPod == j/perPod:
					return 4
				}
				return 6
			}), nil
		}},
}

// ringHops is the distance between positions i and j of a ring of n.
func ringHops(i, j, n int) int {
	d := i - j
	if d < 0 {
		d = -d
	}
	return min(d, n-d)
}

// sized checks that an Int parameter is at least lo and makes at most
// MaxSites sites.
func sized(v param.Values, name string, n, lo int) error {
	if n < lo || n > MaxSites {
		return v.Errorf(name, "must be between %d and %d, got %d", lo, MaxSites, n)
	}
	return nil
}

// nonNegative checks Float parameters are finite and >= 0 (Bind has
// checked them finite).
func nonNegative(v param.Values, names ...string) error {
	for _, name := range names {
		if x := v.Float(name); !(x >= 0) {
			return v.Errorf(name, "must be a finite number >= 0, got %v", x)
		}
	}
	return nil
}

// gen is a generated topology of n sites with hop, local and bandwidth
// from v.
func gen(v param.Values, kind string, n int, hops func(i, j int) int) (*Topology, error) {
	if err := nonNegative(v, "hop", "local", "bandwidth"); err != nil {
		return nil, err
	}
	return generated(kind, n, v.Float("local"), v.Float("hop"), v.Float("bandwidth"), hops), nil
}

// generated is n sites at latency local + hops·hop of each other, every
// path of bandwidth b, region r at site r.
func generated(kind string, n int, local, hop, b float64, hops func(i, j int) int) *Topology {
	t := &Topology{Kind: kind, latency: square(n), bandwidth: square(n)}
	for i := range n {
		for j := range n {
			t.latency[i][j] = local + float64(hops(i, j))*hop
			t.bandwidth[i][j] = b
		}
	}
	t.clients = t.latency
	return t
}

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

// buildSites builds the sites form.
func buildSites(v param.Values) (*Topology, error) {
	lat := v.Floats("latency")
	s := int(math.Round(math.Sqrt(float64(len(lat)))))
	if s < 1 || s*s != len(lat) || s > MaxSites {
		return nil, v.Errorf("latency", "want S×S numbers (S sites, S at most %d), row by row, got %d", MaxSites, len(lat))
	}
	t := &Topology{Kind: "sites", latency: square(s), bandwidth: square(s)}
	for i, x := range lat {
		if !(x >= 0) {
			return nil, v.Errorf("latency", "entry %d (from site %d to site %d) is %v, want >= 0", i, i/s, i%s, x)
		}
		t.latency[i/s][i%s] = x
	}
	b := v.Floats("bandwidth")
	if len(b) != 1 && len(b) != s*s {
		return nil, v.Errorf("bandwidth", "want one number or S×S = %d, got %d", s*s, len(b))
	}
	for i := range s * s {
		x := b[0]
		if len(b) > 1 {
			x = b[i]
		}
		if !(x >= 0) {
			return nil, v.Errorf("bandwidth", "entry %d is %v, want >= 0 (0: infinite)", i, x)
		}
		t.bandwidth[i/s][i%s] = x
	}
	t.clients = t.latency
	if c := v.Floats("clients"); len(c) > 0 {
		if len(c)%s != 0 || len(c)/s > MaxSites {
			return nil, v.Errorf("clients", "want R×S numbers (R regions, S = %d sites), got %d", s, len(c))
		}
		t.clients = make([][]float64, len(c)/s)
		for r := range t.clients {
			t.clients[r] = c[r*s : (r+1)*s]
			for k, x := range t.clients[r] {
				if !(x >= 0) {
					return nil, v.Errorf("clients", "region %d to site %d is %v, want >= 0", r, k, x)
				}
			}
		}
	}
	if n := v.Floats("nodes"); len(n) > 0 {
		if len(n) != s {
			return nil, v.Errorf("nodes", "want one count per site (%d), got %d", s, len(n))
		}
		for i, x := range n {
			if x < 1 || x != math.Trunc(x) {
				return nil, v.Errorf("nodes", "site %d has %v nodes, want a whole number >= 1", i, x)
			}
			t.counts = append(t.counts, int(x))
		}
	}
	return t, nil
}

// Parse parses a topology: "lan", "ring(n=4, hop=2)",
// "sites(latency=[0.1,5,5,0.1])". The empty string is none (nil).
func Parse(s string) (*Topology, error) {
	if s == "" {
		return nil, nil
	}
	t, spec, err := forms.ParseCanonical("topology", s)
	if err != nil {
		return nil, err
	}
	t.spec = spec
	return t, nil
}

// Entries lists the topologies for `loadlab policies`.
func Entries() []param.Entry { return forms.Entries() }

// String is the canonical form, every parameter given.
func (t *Topology) String() string {
	if t == nil {
		return ""
	}
	return t.spec
}

// Sites is the number of sites.
func (t *Topology) Sites() int { return len(t.latency) }

// Regions is the number of client regions.
func (t *Topology) Regions() int { return len(t.clients) }

// Latency is the one-way latency from site a to site b.
func (t *Topology) Latency(a, b int) float64 { return t.latency[a][b] }

// Bandwidth is the bandwidth of the path from site a to site b, bytes per
// model unit; 0 is infinite.
func (t *Topology) Bandwidth(a, b int) float64 { return t.bandwidth[a][b] }

// Client is the one-way latency from client region r to site s.
func (t *Topology) Client(r, s int) float64 { return t.clients[r][s] }

// Place returns the site of each of n nodes: the counts sites gives, or
// contiguous blocks as even as n allows. It is an error for n to differ
// from the counts' sum, or to be fewer than the sites.
func (t *Topology) Place(n int) ([]int, error) {
	s := t.Sites()
	site := make([]int, n)
	if t.counts == nil {
		if n < s {
			return nil, fmt.Errorf("%s has %d sites: give at least %d nodes, got %d", t.Kind, s, s, n)
		}
		for i := range site {
			site[i] = i * s / n
		}
		return site, nil
	}
	sum := 0
	for _, c := range t.counts {
		sum += c
	}
	if sum != n {
		return nil, fmt.Errorf("%s puts %d nodes on its sites (nodes=%v): give nodes: %d, or change the counts", t.Kind, sum, t.counts, sum)
	}
	i := 0
	for k, c := range t.counts {
		for range c {
			site[i] = k
			i++
		}
	}
	return site, nil
}

// Reach returns, for the nodes at the given sites, the one-way latency
// from each client region: Reach[r][node].
func (t *Topology) Reach(sites []int) [][]float64 {
	out := make([][]float64, t.Regions())
	for r := range out {
		out[r] = make([]float64, len(sites))
		for i, s := range sites {
			out[r][i] = t.clients[r][s]
		}
	}
	return out
}

// Layout is a topology laid over a cluster's nodes: the site of each node
// and the delay from each client region to each node. The simulator and
// the real agents both take a job's dispatch delay (Reach) and a move's
// path (Path) from it, so that they charge the same numbers.
type Layout struct {
	Sites []int       // the site of each node (Place)
	Reach [][]float64 // [region][node]: one-way latency from the region to the node's site (Topology.Reach)
	t     *Topology
}

// Lay places n nodes on t's sites (Place) and returns their layout.
func (t *Topology) Lay(n int) (*Layout, error) {
	sites, err := t.Place(n)
	if err != nil {
		return nil, err
	}
	return &Layout{Sites: sites, Reach: t.Reach(sites), t: t}, nil
}

// Path is the one-way latency and the bandwidth (bytes per model unit, 0:
// infinite) of the path from node a's site to node b's.
func (l *Layout) Path(a, b int) (latency, bandwidth float64) {
	s, d := l.Sites[a], l.Sites[b]
	return l.t.Latency(s, d), l.t.Bandwidth(s, d)
}
