// Package tier describes the shared tiers of a multi-tier cluster (the
// lecture's server cluster: a switch, application servers, data servers
// behind them). A tier is a named pool of servers that the application
// nodes call during a request: a phase call(tier=db, size=D) of a job
// (package workload) holds the request's thread at its node while the
// call travels to the tier, waits there and is served, and travels back.
// The application nodes share the tier, so they contend for it.
//
// Dispatch inside a tier is one line for all its servers: with
// discipline fcfs a call waits in one FCFS queue and takes the first
// server free (c servers: M/M/c with Poisson calls and exponential sizes,
// a database's pool of c connections); with ps its servers are shared
// equally by the calls present (at most one server each). A call of size
// s takes s/speed on a server of its own.
package tier

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tier is one shared tier. Zero values take the defaults Check fills in.
type Tier struct {
	Name       string  `yaml:"name"`       // what phases call it by: letters, digits, _ and -
	Servers    int     `yaml:"servers"`    // servers c, sharing one line (default 1)
	Discipline string  `yaml:"discipline"` // fcfs (default): one FCFS queue; ps: processor sharing over the c servers
	Speed      float64 `yaml:"speed"`      // each server's speed: a call of size s takes s/speed (default 1)
}

// MaxServers is the most servers a tier may have.
const MaxServers = 10_000

// Check fills in the defaults of ts and validates them: names well
// formed and distinct, servers, discipline and speed in range. It
// returns the filled copy; nil for none. Errors name the tier by its
// position and name.
func Check(ts []Tier) ([]Tier, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	out := make([]Tier, len(ts))
	seen := map[string]bool{}
	for i, t := range ts {
		if t.Servers == 0 {
			t.Servers = 1
		}
		if t.Discipline == "" {
			t.Discipline = "fcfs"
		}
		if t.Speed == 0 {
			t.Speed = 1
		}
		where := fmt.Sprintf("tier %d (%s)", i, t.Name)
		switch {
		case !validName(t.Name):
			return nil, fmt.Errorf("tier %d: name %q: want letters, digits, _ or - (e.g. db), which phases call it by", i, t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("%s: the name is given twice: tiers need names of their own", where)
		case t.Servers < 1 || t.Servers > MaxServers:
			return nil, fmt.Errorf("%s: servers must be between 1 and %d, got %d", where, MaxServers, t.Servers)
		case t.Discipline != "fcfs" && t.Discipline != "ps":
			return nil, fmt.Errorf("%s: discipline must be fcfs or ps, got %q", where, t.Discipline)
		case !(t.Speed > 0) || math.IsInf(t.Speed, 1):
			return nil, fmt.Errorf("%s: speed must be a finite number > 0, got %v", where, t.Speed)
		}
		seen[t.Name] = true
		out[i] = t
	}
	return out, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// String is the tier's canonical form: db(servers=2, discipline=fcfs, speed=1).
func (t Tier) String() string {
	return fmt.Sprintf("%s(servers=%d, discipline=%s, speed=%s)", t.Name, t.Servers, t.Discipline, strconv.FormatFloat(t.Speed, 'g', -1, 64))
}

// Canonical is the canonical form of checked tiers, joined by "; " ("" for none).
func Canonical(ts []Tier) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, "; ")
}

// Index returns the position of the tier called name in ts, or -1.
func Index(ts []Tier, name string) int {
	for i, t := range ts {
		if t.Name == name {
			return i
		}
	}
	return -1
}
