package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCSV writes recs with WriteCSV and reads them back with encoding/csv.
func readCSV(t *testing.T, recs []Record) (header []string, rows [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, recs); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	all, err := csv.NewReader(&buf).ReadAll() // also checks that every row has the header's length
	if err != nil {
		t.Fatalf("reading the CSV back: %v", err)
	}
	if len(all) != len(recs)+1 {
		t.Fatalf("got %d CSV lines, want %d", len(all), len(recs)+1)
	}
	return all[0], all[1:]
}

func TestCSVShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []Record
	}{
		{"no records", nil},
		{"one record", []Record{testRecord("a", 1)}},
		{"zero record", []Record{{}}},
		{"several", []Record{testRecord("a", 1), testRecord("b", 2), testRecord("c", 3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header, rows := readCSV(t, tc.recs)
			seen := map[string]bool{}
			for _, h := range header {
				if seen[h] {
					t.Errorf("column %q appears twice", h)
				}
				seen[h] = true
			}
			for i, row := range rows {
				if len(row) != len(header) {
					t.Errorf("row %d has %d fields, want %d", i, len(row), len(header))
				}
			}
		})
	}
}

// TestCSVCoversRecord checks the column table against the structs: every
// Point field and every scalar Result field has a column with its JSON name.
func TestCSVCoversRecord(t *testing.T) {
	have := map[string]bool{}
	for _, c := range columns {
		have[c.name] = true
	}
	var want []string
	for _, typ := range []reflect.Type{reflect.TypeFor[Point](), reflect.TypeFor[Result]()} {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Type.Kind() == reflect.Slice || name == "histogram" {
				continue
			}
			want = append(want, name)
		}
	}
	want = append(want, "node_util_min", "node_util_max", "start", "seconds")
	for _, name := range want {
		if !have[name] {
			t.Errorf("no CSV column %q", name)
		}
	}
	if len(columns) != len(want) {
		t.Errorf("%d CSV columns, want %d", len(columns), len(want))
	}
}

// TestCSVRoundTrip reads a record back through encoding/csv and compares
// every column with the record's own JSON encoding.
func TestCSVRoundTrip(t *testing.T) {
	r := testRecord("k,1", 7)
	r.Point.Policy = `odd "name", with comma`
	r.Point.Workload = "two\nlines"
	r.Result.MeanResponse = 1.0 / 3
	r.Result.P999Response = 1e-300
	r.Result.BytesMoved = 123456789012345678
	r.Point.Seed = math.MaxUint64
	r.Point.TimeUnit, r.Point.Kernel, r.Point.Dispatchers = "10ms", "sleep", 4
	r.Point.GossipMode = "delayed"
	r.Point.Distances = "0,0.1"
	r.Point.Units, r.Point.Platforms = `{"paradigm":"code-on-demand"}`, "x86_64,arm64"
	r.Point.Faults = "kill(at=100, nodes=3); slow(at=50, nodes=1, factor=4)"
	r.Point.Axis, r.Point.X = "costs.latency", 0.25
	r.Point.Server = "pool(n=8, switch=0.0005, quantum=0.4)"
	r.Point.Client, r.Point.Tasks = "hedge(after=2, copies=1)", 4
	r.Point.Admit = "codel(target=0.5, interval=5)"
	r.Point.Front, r.Point.Response = "relay(request=0.005, byte=1e-06, n=2)", "exp(mean=20000)"
	r.Result.FrontUtilization, r.Result.FrontTime = 0.42, 0.0125
	r.Point.Cache, r.Point.Hit, r.Result.CacheHitRate = "lru(entries=400)", "exp(mean=0.2)", 0.93
	r.Point.Queue, r.Point.PowerModel = 12, "idle=60, busy=180, alpha=3, speed=0.8, byte=0, message=0.1"
	r.Point.WarmStart, r.Result.SteadyFrom, r.Result.SteadyFound, r.Result.TransientBias = "meanfield(d=2)", 2048, true, -0.0125
	r.Result.Energy, r.Result.Power, r.Result.EnergyPerJob = 12500, 118.2, 196.4
	r.Point.Elastic, r.Point.Scale = "initial=4, startup=20, schedule=[+2@500, -2@1500]", "target(util=0.7, window=3, period=10, min=1, max=0)"
	r.Result.NodeSeconds = 9876.5
	r.Result.Energy, r.Result.Power, r.Result.EnergyPerJob, r.Result.Asleep, r.Result.Wakeups, r.Result.ClientEnergy = 12500, 118.2, 196.4, 0.31, 420, 830.5
	r.Result.CPUSeconds, r.Result.RAPLJoules = 3.25, 410.5
	r.Result.JoinTime = 4.25
	r.Point.State, r.Result.StateReturning, r.Result.StateAffinity, r.Result.StateLost = "stateful(transfer=0.3, rebuild=1.5, entries=100000)", 4000, 0.14, 0.003
	r.Point.Topology, r.Point.Regions = "ring(n=3, hop=5, local=0.1, bandwidth=0)", "0.5,0.3,0.2"
	r.Point.Tiers = "db(servers=2, discipline=fcfs, speed=1); cache(servers=1, discipline=ps, speed=4)"
	r.Result.TierStats = []TierStat{{Name: "db", Utilization: 0.61, Time: 0.085}, {Name: "cache", Utilization: 0.2, Time: 1.0 / 3}}
	r.Result.Failures = map[string]int64{"timeout": 3}
	r.Result.ServerCosts = &ServerCosts{Create: 0.002, Event: 0.0005, Handoff: 0.001, Resume: 0.007}
	r.Env.Start = time.Date(2025, 3, 1, 12, 30, 45, 0, time.FixedZone("", 3600))

	header, rows := readCSV(t, []Record{r})
	got := map[string]string{}
	for i, h := range header {
		got[h] = rows[0][i]
	}
	if tail := strings.Join(header[len(header)-4:], ","); tail != "tier_utilization.cache,tier_time.cache,tier_utilization.db,tier_time.db" {
		t.Errorf("last columns %s, want the tiers' sorted by name", tail)
	}

	// Flatten the JSON encoding of r into name → value.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var parts map[string]map[string]any
	if err := dec.Decode(&parts); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for _, part := range []string{"point", "result"} {
		for k, v := range parts[part] {
			want[k] = v
		}
	}
	want["seconds"] = parts["env"]["seconds"]

	for name, cell := range got {
		switch name {
		case "node_util_min":
			checkFloat(t, name, cell, 0.8)
		case "node_util_max":
			checkFloat(t, name, cell, 0.95)
		case "failures":
			if cell != formatFailures(r.Result.Failures) {
				t.Errorf("failures = %q", cell)
			}
		case "server_costs":
			if cell != "create=0.002; switch=0; event=0.0005; handoff=0.001; resume=0.007" {
				t.Errorf("server_costs = %q", cell)
			}
		case "tier_utilization.db":
			checkFloat(t, name, cell, 0.61)
		case "tier_time.db":
			checkFloat(t, name, cell, 0.085)
		case "tier_utilization.cache":
			checkFloat(t, name, cell, 0.2)
		case "tier_time.cache":
			checkFloat(t, name, cell, 1.0/3)
		case "start":
			if ts, err := time.Parse(time.RFC3339, cell); err != nil || !ts.Equal(r.Env.Start) {
				t.Errorf("start = %q, want %v", cell, r.Env.Start)
			}
		default:
			switch v := want[name].(type) {
			case string:
				if cell != v {
					t.Errorf("%s = %q, want %q", name, cell, v)
				}
			case bool:
				if cell != strconv.FormatBool(v) {
					t.Errorf("%s = %q, want %v", name, cell, v)
				}
			case json.Number:
				if k := jsonKinds[name]; k != reflect.Float64 {
					if cell != string(v) { // integers: exact text
						t.Errorf("%s = %q, want %q", name, cell, v)
					}
					continue
				}
				f, _ := v.Float64()
				checkFloat(t, name, cell, f)
			default:
				t.Errorf("column %s has no JSON field (JSON value %v)", name, v)
			}
		}
	}
}

func checkFloat(t *testing.T, name, cell string, want float64) {
	t.Helper()
	got, err := strconv.ParseFloat(cell, 64)
	if err != nil || got != want {
		t.Errorf("%s = %q, want %v", name, cell, want)
	}
	if cell != strconv.FormatFloat(want, 'g', -1, 64) {
		t.Errorf("%s = %q, not in shortest 'g' form", name, cell)
	}
}

func TestCSVEmptyCells(t *testing.T) {
	header, rows := readCSV(t, []Record{{Point: Point{Key: "k"}}})
	for i, h := range header {
		switch h {
		case "node_util_min", "node_util_max", "start", "server_costs":
			if rows[0][i] != "" {
				t.Errorf("%s = %q for a record without data, want empty", h, rows[0][i])
			}
		}
	}
}

// jsonKinds maps the JSON names of the fields of Point, Result and Env to
// the kinds of the fields.
var jsonKinds = func() map[string]reflect.Kind {
	m := map[string]reflect.Kind{}
	for _, typ := range []reflect.Type{reflect.TypeFor[Point](), reflect.TypeFor[Result](), reflect.TypeFor[Env]()} {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			m[name] = f.Type.Kind()
		}
	}
	return m
}()

func TestFormatFailures(t *testing.T) {
	got := formatFailures(map[string]int64{"timeout": 2, "agent gone": 1})
	if got != "agent gone=1; timeout=2" {
		t.Errorf("got %q", got)
	}
	if formatFailures(nil) != "" {
		t.Error("no failures should be an empty cell")
	}
}

// TestSeedsAbove2To53 checks that seeds that a double cannot hold come out
// exact: quoted in the CSV (readers that keep quoted fields as text keep
// the digits) and a string in the JSON written for other programs, while a
// store keeps reading them as numbers.
func TestSeedsAbove2To53(t *testing.T) {
	for _, seed := range []uint64{1<<53 + 1, 1<<63 + 7, math.MaxUint64} {
		r := testRecord("k", 1)
		r.Point.Seed = seed
		want := strconv.FormatUint(seed, 10)

		var buf bytes.Buffer
		if err := WriteCSV(&buf, []Record{r}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `,"`+want+`",`) {
			t.Errorf("seed %d is not a quoted field of the CSV:\n%s", seed, buf.String())
		}
		header, rows := readCSV(t, []Record{r})
		for i, h := range header {
			if h == "seed" && rows[0][i] != want {
				t.Errorf("seed read back from the CSV as %q, want %q", rows[0][i], want)
			}
		}

		b, err := json.Marshal(r.Point.Portable())
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON map[string]any // how a JavaScript or R JSON reader sees it
		if err := json.Unmarshal(b, &fromJSON); err != nil {
			t.Fatal(err)
		}
		if fromJSON["seed"] != want {
			t.Errorf("portable JSON has seed %#v, want the string %q", fromJSON["seed"], want)
		}

		dir := t.TempDir()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
		s.Close()
		recs, err := Read(dir)
		if err != nil || len(recs) != 1 || recs[0].Point.Seed != seed {
			t.Errorf("store read back seed %v, want %d (%v)", recs, seed, err)
		}
	}
}
