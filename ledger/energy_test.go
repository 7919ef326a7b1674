package ledger

import (
	"math"
	"testing"

	"github.com/loadlab/loadlab/energy"
	"github.com/loadlab/loadlab/results"
)

// TestEnergy: with an idle/busy model and no sleep, a point's joules are
// exactly Σ over nodes of P_idle·T + (P_busy − P_idle)·busy time, busy time
// the node's busy servers integrated over the window T and divided by its
// servers, with P_busy at the DVFS level P_idle + (P_busy − P_idle)·s^α;
// plus the network's joules per byte and message in the window's share
// of the run's jobs; node 0's with the network's is the client's. Node 0
// (one server) is busy 8 of the 10 units; node 1 (two servers) has one
// busy throughout and the other over [2, 6): 7.
func TestEnergy(t *testing.T) {
	log := Log{
		Nodes:    [][]Change{{{0, 1, 1}, {8, 0, 0}}, {{0, 1, 1}, {2, 2, 2}, {6, 1, 1}}},
		Arrivals: []float64{0, 2, 10},
		Ends:     []End{{T: 8, ID: 0, Service: 8, Size: 8}, {T: 6, ID: 1, Arrival: 2, Service: 4, Size: 4}, {T: 10, ID: 2, Arrival: 10}},
		Counts:   Counts{Bytes: 3000, Messages: 4, Probes: 2},
	}
	for _, c := range []struct {
		p            energy.Power
		want, client float64 // the cluster's joules, and node 0's with the network's
	}{
		{energy.Power{Idle: 100, Busy: 250}, 2*100*10 + 150*(8+7), 100*10 + 150*8},
		{energy.Power{Idle: 100, Busy: 250, Speed: 0.5}, 2*100*10 + 150*0.125*(8+7), 100*10 + 150*0.125*8},
		{energy.Power{Idle: 0, Busy: 200, Alpha: 2, Speed: 2}, 200 * 4 * (8 + 7), 200 * 4 * 8},
		// network: 3000 bytes and 6 messages over the run's 3 jobs, of which the window measured 3
		{energy.Power{Idle: 100, Busy: 250, Byte: 0.01, Message: 0.5}, 2*100*10 + 150*(8+7) + 30 + 3, 100*10 + 150*8 + 30 + 3},
	} {
		l := Replay(Config{Servers: []int{1, 2}, Jobs: 3, Warmup: 0, Power: &c.p}, log)
		var r results.Result
		if err := l.Fill(&r, 10); err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Energy-c.want) > 1e-9*c.want || math.Abs(r.Power-c.want/10) > 1e-9*c.want || math.Abs(r.EnergyPerJob*float64(r.JobsMeasured)-c.want) > 1e-9*c.want {
			t.Errorf("%s: energy %v, power %v, per job %v (×%d), want %v joules", c.p.String(), r.Energy, r.Power, r.EnergyPerJob, r.JobsMeasured, c.want)
		}
		if math.Abs(r.ClientEnergy-c.client) > 1e-9*c.client {
			t.Errorf("%s: client energy %v, want %v joules", c.p.String(), r.ClientEnergy, c.client)
		}
	}
}

// TestSleepEnergy: with sleep states a node's joules are P_idle over its
// awake idle time, the busy power over its busy time and while it wakes,
// and P_sleep asleep. One node over [0, 10): asleep [0, 2), waking
// [2, 3), serving [3, 7), idle [7, 8), asleep [8, 10): 4 asleep, 1
// waking, 4 busy, 1 idle, one wake-up.
func TestSleepEnergy(t *testing.T) {
	sleep := 5.0
	p := energy.Power{Idle: 100, Busy: 250, Sleep: &sleep, Wake: 1}
	l := New(Config{Servers: []int{1}, Jobs: 1, Warmup: 0, Power: &p})
	l.Sleep(0, 0, energy.Asleep)
	l.Arrive(2, 0)
	l.Node(2, 0, 0, 1)
	l.Sleep(2, 0, energy.Waking)
	l.Sleep(3, 0, energy.Awake)
	l.Node(3, 0, 1, 1)
	l.Node(7, 0, 0, 0)
	l.Complete(7, 0, 2, 4, 0, 4)
	l.Sleep(8, 0, energy.Asleep)
	var r results.Result
	if err := l.Fill(&r, 10); err != nil {
		t.Fatal(err)
	}
	want := 5*4 + 250*(1+4) + 100*1.0
	if math.Abs(r.Energy-want) > 1e-9*want || r.Asleep != 0.4 || r.Wakeups != 1 {
		t.Errorf("energy %v J, asleep %v, %d wake-ups; want %v J, 0.4, 1", r.Energy, r.Asleep, r.Wakeups, want)
	}
}
