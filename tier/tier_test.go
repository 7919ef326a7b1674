package tier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/tier"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		in   []tier.Tier
		want string // canonical form, or the error
	}{
		{nil, ""},
		{[]tier.Tier{{Name: "db"}}, "db(servers=1, discipline=fcfs, speed=1)"},
		{[]tier.Tier{{Name: "db", Servers: 4, Discipline: "ps", Speed: 2}, {Name: "cache-2"}}, "db(servers=4, discipline=ps, speed=2); cache-2(servers=1, discipline=fcfs, speed=1)"},
		{[]tier.Tier{{Name: ""}}, `tier 0: name "": want letters, digits, _ or -`},
		{[]tier.Tier{{Name: "d b"}}, `tier 0: name "d b"`},
		{[]tier.Tier{{Name: "db"}, {Name: "db"}}, "tier 1 (db): the name is given twice"},
		{[]tier.Tier{{Name: "db", Servers: -1}}, "tier 0 (db): servers must be between 1 and 10000, got -1"},
		{[]tier.Tier{{Name: "db", Discipline: "lifo"}}, `tier 0 (db): discipline must be fcfs or ps, got "lifo"`},
		{[]tier.Tier{{Name: "db", Speed: -2}}, "tier 0 (db): speed must be a finite number > 0, got -2"},
	} {
		ts, err := tier.Check(tc.in)
		got := tier.Canonical(ts)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%v: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIndex(t *testing.T) {
	ts := []tier.Tier{{Name: "db"}, {Name: "cache"}}
	if tier.Index(ts, "cache") != 1 || tier.Index(ts, "db") != 0 || tier.Index(ts, "disk") != -1 {
		t.Errorf("Index: cache %d, db %d, disk %d; want 1, 0, -1", tier.Index(ts, "cache"), tier.Index(ts, "db"), tier.Index(ts, "disk"))
	}
}

func ExampleCheck() {
	ts, _ := tier.Check([]tier.Tier{{Name: "db", Servers: 2}})
	fmt.Println(tier.Canonical(ts))
	// Output: db(servers=2, discipline=fcfs, speed=1)
}
