package policy_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/loadlab/loadlab/policy"
)

// Example parses and validates specs once, then builds a fresh instance per
// run. A spec's String is its canonical form, every parameter included.
func Example() {
	r := policy.Builtin()

	pod, err := r.Dispatch("pod( d = 3 )")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pod.String())
	m, _ := r.Migrate("sender.threshold")
	fmt.Println(m)

	_, err = r.Dispatch("pod(d=0)")
	fmt.Println(err)

	// Every dispatch strategy by name, with its defaults.
	var all []string
	for _, i := range r.List(policy.Dispatch) {
		s, _ := r.Dispatch(i.Name)
		all = append(all, s.String())
	}
	fmt.Println(strings.Join(all, " "))

	// Drive an instance: a round-robin dispatcher over 3 nodes.
	rr, _ := r.Dispatch("rr")
	disp := rr.New(policy.Env{Nodes: 3})
	v := &exampleView{rng: rand.New(rand.NewPCG(1, 2)), nodes: 3}
	fmt.Println(disp.Pick(v, &policy.Job{}), disp.Pick(v, &policy.Job{}), disp.Pick(v, &policy.Job{}), disp.Pick(v, &policy.Job{}))
	// Output:
	// pod(d=3)
	// sender.threshold(T=2, probes=3)
	// pod: parameter d: must be at least 1, got 0
	// batch(d=2, binding=early) class dns(ttl=10, weight=1, within=least) hash(eps=0.25, vnodes=100) hybrid(front=2, inner=leastconn) jiq(dispatchers=1, report=random, d=2) jsq lard(low=2, high=5, replicate=0, keep=20) leastconn(weighted=0) local(T=2) lwl nearest(within=least) pod(d=2) pod.gossip(d=2) prequal(probes=3, pool=16, reuse=2, q=0.84) random rr sed sita(cutoffs=[]) wan(weight=1) wrr
	// 0 1 2 0
}

// exampleView is the smallest View: a dispatcher that sees idle nodes.
type exampleView struct {
	rng   *rand.Rand
	nodes int
}

func (v *exampleView) Now() float64        { return 0 }
func (v *exampleView) Self() policy.NodeID { return policy.None }
func (v *exampleView) Nodes() int          { return v.nodes }
func (v *exampleView) Local() policy.Load  { return policy.Load{} }
func (v *exampleView) Gossip(policy.NodeID) (policy.Load, float64) {
	return policy.Load{Servers: 1, Speed: 1}, 0
}
func (v *exampleView) Probe(nodes []policy.NodeID, out []policy.Load) { clear(out[:len(nodes)]) }
func (v *exampleView) Send(policy.NodeID, policy.Message)             {}
func (v *exampleView) ProbeLater([]policy.NodeID)                     {}
func (v *exampleView) Jobs(out []policy.JobInfo) []policy.JobInfo     { return out[:0] }
func (v *exampleView) Rand() *rand.Rand                               { return v.rng }
