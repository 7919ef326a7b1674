package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/policy"
	"github.com/loadlab/loadlab/workload"
)

// TestBatch checks batch sampling: one probe round of d·k nodes per
// request, and its k tasks on the k least loaded of them, one per node.
func TestBatch(t *testing.T) {
	reg := policy.Builtin()
	spec, err := reg.Dispatch("batch(d=2)")
	if err != nil {
		t.Fatal(err)
	}
	// Eight nodes: the sample of 2·3 = 6 must put the three tasks on the
	// three least loaded nodes it probed.
	v := newView(t, policy.None, queues(7, 0, 5, 1, 6, 2, 4, 3))
	d := spec.New(policy.Env{Nodes: 8, Servers: 1, Node: policy.None, Tasks: 3})
	for r := int64(0); r < 50; r++ {
		v.rounds = nil
		var got []policy.NodeID
		for k := int32(0); k < 3; k++ {
			got = append(got, d.Pick(v, &policy.Job{Job: workload.Job{ID: r, Task: k}}))
		}
		if len(v.rounds) != 1 || len(v.rounds[0]) != 6 {
			t.Fatalf("request %d: probe rounds %v, want one of 6 nodes", r, v.rounds)
		}
		probed := slices.Clone(v.rounds[0])
		slices.SortFunc(probed, func(a, b policy.NodeID) int { return v.loads[a].Queue - v.loads[b].Queue })
		if !slices.Equal(got, probed[:3]) {
			t.Errorf("request %d: tasks on %v, the least loaded probed are %v", r, got, probed[:3])
		}
	}
}

// TestBatchLate checks late binding: a Reserver naming d·k distinct nodes
// per request without probing them, and a clear error for a binding it
// does not know.
func TestBatchLate(t *testing.T) {
	reg := policy.Builtin()
	spec, err := reg.Dispatch("batch(d=2, binding=late)")
	if err != nil {
		t.Fatal(err)
	}
	if !policy.Reserves(spec) {
		t.Fatal("batch(binding=late) does not reserve")
	}
	if early, _ := reg.Dispatch("batch(d=2)"); policy.Reserves(early) {
		t.Error("batch(binding=early) reserves")
	}
	v := newView(t, policy.None, queues(7, 0, 5, 1, 6, 2, 4, 3))
	for _, tc := range []struct{ tasks, want int }{{3, 6}, {1, 2}, {5, 8}} {
		r := spec.New(policy.Env{Nodes: 8, Servers: 1, Node: policy.None, Tasks: tc.tasks}).(policy.Reserver)
		v.rounds = nil
		got := r.Reserve(v, &policy.Job{Job: workload.Job{ID: 1}}, nil)
		if len(got) != tc.want || len(v.rounds) != 0 {
			t.Errorf("%d tasks: reservations on %v after probe rounds %v, want %d distinct nodes and no probe", tc.tasks, got, v.rounds, tc.want)
		}
		slices.Sort(got)
		if len(slices.Compact(got)) != len(got) {
			t.Errorf("%d tasks: reservations on %v, want distinct nodes", tc.tasks, got)
		}
	}
	if _, err := reg.Dispatch("batch(binding=lazy)"); err == nil || !strings.Contains(err.Error(), `binding: want early or late, got "lazy"`) {
		t.Errorf("binding=lazy: error %v", err)
	}
}
