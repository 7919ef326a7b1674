package param_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/loadlab/loadlab/param"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		name string
		args map[string]string
		keys []string
		err  string // substring of the error; "" means success
	}{
		// Names alone, with and without parentheses.
		{in: "pod", name: "pod", args: map[string]string{}},
		{in: "  pod\t", name: "pod", args: map[string]string{}},
		{in: "pod()", name: "pod", args: map[string]string{}},
		{in: "pod( )", name: "pod", args: map[string]string{}},
		{in: "pod ()", name: "pod", args: map[string]string{}},
		{in: "sender.threshold", name: "sender.threshold", args: map[string]string{}},
		{in: "a-b_c.d9", name: "a-b_c.d9", args: map[string]string{}},
		{in: "_x", name: "_x", args: map[string]string{}},

		// Arguments, in the order written, spaces trimmed.
		{in: "pod(d=2)", name: "pod", args: map[string]string{"d": "2"}, keys: []string{"d"}},
		{in: "pod( d = 2 )", name: "pod", args: map[string]string{"d": "2"}, keys: []string{"d"}},
		{in: "sender.threshold(probes=3, T=2)", name: "sender.threshold",
			args: map[string]string{"T": "2", "probes": "3"}, keys: []string{"probes", "T"}},
		{in: "w(order=fcfs)", name: "w", args: map[string]string{"order": "fcfs"}, keys: []string{"order"}},
		{in: "w(x=-1.5e-3)", name: "w", args: map[string]string{"x": "-1.5e-3"}, keys: []string{"x"}},

		// Lists keep their brackets and inner text; commas inside them do not split.
		{in: "mmpp(rates=[0.5,2], switch=[0.1,0.1])", name: "mmpp",
			args: map[string]string{"rates": "[0.5,2]", "switch": "[0.1,0.1]"}, keys: []string{"rates", "switch"}},
		{in: " mmpp( rates = [0.5, 2] ,switch=[ 0.1 , 0.1 ] ) ", name: "mmpp",
			args: map[string]string{"rates": "[0.5, 2]", "switch": "[ 0.1 , 0.1 ]"}, keys: []string{"rates", "switch"}},
		{in: "f(l=[])", name: "f", args: map[string]string{"l": "[]"}, keys: []string{"l"}},
		{in: `external(cmd="python3 p.py --d=(2,3)", view=0)`, name: "external",
			args: map[string]string{"cmd": `"python3 p.py --d=(2,3)"`, "view": "0"}, keys: []string{"cmd", "view"}},

		// Errors.
		{in: "", err: "empty expression"},
		{in: "   ", err: "empty expression"},
		{in: "(d=2)", err: "missing name"},
		{in: "2pod", err: `"2pod" is not a name`},
		{in: "po d", err: `"po d" is not a name`},
		{in: "pod!(d=1)", err: `"pod!" is not a name`},
		{in: "pöd", err: "is not a name"},
		{in: "pod(d=2", err: "missing closing parenthesis"},
		{in: "pod(", err: "missing closing parenthesis"},
		{in: "pod(d=2))", err: "unexpected ')'"},
		{in: "pod(d=(2))", err: "unexpected '('"},
		{in: "pod(d=[[1,2]])", err: "nested lists are not allowed"},
		{in: "pod(d=[1,[2]])", err: "nested lists are not allowed"},
		{in: "pod(d=[1,2)", err: "'[' without ']'"},
		{in: "pod(d=1])", err: "']' without '['"},
		{in: `external(cmd="python3 p.py)`, err: `'"' without its closing '"'`},
		{in: "pod(d=2, d=3)", err: "parameter d given twice"},
		{in: "pod(d=2, d = 2)", err: "parameter d given twice"},
		{in: "pod(d)", err: `argument "d" is not key=value`},
		{in: "pod(=2)", err: `argument "=2" is not key=value`},
		{in: "pod(d=)", err: `argument "d=" is not key=value`},
		{in: "pod(d= )", err: "is not key=value"},
		{in: "pod(d=2,)", err: `argument "" is not key=value`},
		{in: "pod(,d=2)", err: `argument "" is not key=value`},
		{in: "pod(,)", err: "is not key=value"},
		{in: "pod(d=2 e=3)", err: ""}, // one value "2 e=3": caught by Bind, see TestBindOddValues
	} {
		got, err := param.Parse(c.in)
		if c.err != "" {
			if err == nil {
				t.Errorf("Parse(%q) = %+v, want an error containing %q", c.in, got, c.err)
			} else if !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", c.in, err)
			continue
		}
		if c.name == "" { // only checked for success
			continue
		}
		if got.Name != c.name {
			t.Errorf("Parse(%q).Name = %q, want %q", c.in, got.Name, c.name)
		}
		if !reflect.DeepEqual(got.Args, c.args) {
			t.Errorf("Parse(%q).Args = %q, want %q", c.in, got.Args, c.args)
		}
		if !reflect.DeepEqual(got.Keys, c.keys) {
			t.Errorf("Parse(%q).Keys = %q, want %q", c.in, got.Keys, c.keys)
		}
	}
}

func TestCallString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pod", "pod"},
		{"pod()", "pod"},
		{"pod(d=2)", "pod(d=2)"},
		{" f( b=1 ,a = 2, c=[1,2] ) ", "f(a=2, b=1, c=[1,2])"},
	} {
		call, err := param.Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if got := call.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
		again, err := param.Parse(call.String())
		if err != nil {
			t.Errorf("Parse(%q) of its own String: %v", call.String(), err)
		} else if !reflect.DeepEqual(again.Args, call.Args) || again.Name != call.Name {
			t.Errorf("Parse(String()) = %+v, want %+v", again, call)
		}
	}
}

// testSchema has one parameter of each kind; rate is required.
var testSchema = param.Schema{
	{Name: "rate", Kind: param.Float, Doc: "arrival rate"},
	{Name: "k", Kind: param.Int, Default: "2", Doc: "phases"},
	{Name: "rates", Kind: param.Floats, Default: "[0.5, 2]", Doc: "state intensities"},
	{Name: "order", Kind: param.Word, Default: "fcfs", Doc: "queueing discipline"},
}

func bind(t *testing.T, spec string, s param.Schema) (param.Values, error) {
	t.Helper()
	c, err := param.Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return param.Bind(c, s)
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct {
		spec   string
		schema param.Schema
		want   []string // substrings of the error
	}{
		// Unknown parameters list the allowed ones.
		{"f(rate=1, x=3)", testSchema, []string{"f: unknown parameter x", "allowed are rate=<number>, k=2, rates=[0.5, 2], order=fcfs"}},
		{"f(R=1)", testSchema, []string{"unknown parameter R"}},
		{"g(x=1)", nil, []string{"g: unknown parameter x", "g takes no parameters"}},

		// Required values.
		{"f", testSchema, []string{"parameter rate", "arrival rate", "is required"}},
		{"f(k=3)", testSchema, []string{"parameter rate", "is required"}},

		// Wrong kinds.
		{"f(rate=x)", testSchema, []string{"parameter rate", "want a number", `"x"`}},
		{"f(rate=[1])", testSchema, []string{"parameter rate", "want a number"}},
		{"f(rate=nan)", testSchema, []string{"parameter rate", "want a number"}},
		{"f(rate=inf)", testSchema, []string{"parameter rate", "want a number"}},
		{"f(rate=-Inf)", testSchema, []string{"parameter rate", "want a number"}},
		{"f(rate=1e999)", testSchema, []string{"parameter rate", "want a number"}},
		{"f(rate=1, k=1.5)", testSchema, []string{"parameter k", "want a whole number", `"1.5"`}},
		{"f(rate=1, k=x)", testSchema, []string{"parameter k", "want a whole number"}},
		{"f(rate=1, k=inf)", testSchema, []string{"parameter k", "want a whole number"}},
		{"f(rate=1, k=1e30)", testSchema, []string{"parameter k", "want a whole number"}},
		{"f(rate=1, rates=3)", testSchema, []string{"parameter rates", "want a list", `"3"`}},
		{"f(rate=1, rates=[1,x])", testSchema, []string{"parameter rates", `list element "x" is not a number`}},
		{"f(rate=1, rates=[1,,2])", testSchema, []string{"parameter rates", `list element "" is not a number`}},
		{"f(rate=1, rates=[1,nan])", testSchema, []string{"parameter rates", "is not a number"}},
		{"f(rate=1, rates=[inf])", testSchema, []string{"parameter rates", "is not a number"}},
	} {
		_, err := bind(t, c.spec, c.schema)
		if err == nil {
			t.Errorf("Bind(%q): no error, want one containing %q", c.spec, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Bind(%q) error %q, want it to contain %q", c.spec, err, w)
			}
		}
	}
}

func TestBindValues(t *testing.T) {
	for _, c := range []struct {
		spec      string
		rate      float64
		k         int
		rates     []float64
		order     string
		canonical string
	}{
		{"f(rate=1.5)", 1.5, 2, []float64{0.5, 2}, "fcfs", "f(rate=1.5, k=2, rates=[0.5,2], order=fcfs)"},
		{"f( order = lifo, rates = [ ], k = 3, rate = 2e-1 )", 0.2, 3, nil, "lifo", "f(rate=0.2, k=3, rates=[], order=lifo)"},
		{"f(rate=-1, rates=[ 1 , 2.5,3 ])", -1, 2, []float64{1, 2.5, 3}, "fcfs", "f(rate=-1, k=2, rates=[1,2.5,3], order=fcfs)"},
		// Equal values have one canonical form.
		{"f(rate=2.50, k=4.0, rates=[1e3, 0.10])", 2.5, 4, []float64{1000, 0.1}, "fcfs", "f(rate=2.5, k=4, rates=[1000,0.1], order=fcfs)"},
		{"f(rate=+1, k=02, rates=[5E-1])", 1, 2, []float64{0.5}, "fcfs", "f(rate=1, k=2, rates=[0.5], order=fcfs)"},
		{"f(k=-0, rate=0)", 0, 0, []float64{0.5, 2}, "fcfs", "f(rate=0, k=0, rates=[0.5,2], order=fcfs)"},
		// A quoted word keeps its spaces, commas and parentheses.
		{`f(rate=1, order="python3 p.py --a=(1,2)")`, 1, 2, []float64{0.5, 2}, "python3 p.py --a=(1,2)", `f(rate=1, k=2, rates=[0.5,2], order="python3 p.py --a=(1,2)")`},
	} {
		v, err := bind(t, c.spec, testSchema)
		if err != nil {
			t.Errorf("Bind(%q): %v", c.spec, err)
			continue
		}
		if got := v.Float("rate"); got != c.rate {
			t.Errorf("Bind(%q): rate = %g, want %g", c.spec, got, c.rate)
		}
		if got := v.Float("k"); got != float64(c.k) {
			t.Errorf("Bind(%q): Float(k) = %g, want %d", c.spec, got, c.k)
		}
		if got := v.Int("k"); got != c.k {
			t.Errorf("Bind(%q): k = %d, want %d", c.spec, got, c.k)
		}
		if got := v.Floats("rates"); !reflect.DeepEqual(got, c.rates) {
			t.Errorf("Bind(%q): rates = %v, want %v", c.spec, got, c.rates)
		}
		if got := v.Word("order"); got != c.order {
			t.Errorf("Bind(%q): order = %q, want %q", c.spec, got, c.order)
		}
		got := v.Canonical(testSchema)
		if got != c.canonical {
			t.Errorf("Bind(%q).Canonical = %q, want %q", c.spec, got, c.canonical)
		}
		// The canonical form reads back to itself.
		v2, err := bind(t, got, testSchema)
		if err != nil {
			t.Errorf("Bind(%q) of a canonical form: %v", got, err)
		} else if again := v2.Canonical(testSchema); again != got {
			t.Errorf("Canonical is not a fixed point: %q then %q", got, again)
		}
	}
}

func TestBindNoParams(t *testing.T) {
	for _, spec := range []string{"rr", "rr()", " rr ( ) "} {
		v, err := bind(t, spec, nil)
		if err != nil {
			t.Fatalf("Bind(%q): %v", spec, err)
		}
		if got := v.Canonical(nil); got != "rr" {
			t.Errorf("Bind(%q).Canonical = %q, want %q", spec, got, "rr")
		}
	}
}

// A value with a stray space or '=' is one raw value: Parse keeps it and
// Bind rejects it for numbers.
func TestBindOddValues(t *testing.T) {
	for _, spec := range []string{"f(rate=2 e=3)", "f(rate=1=2)", "f(rate=1 2)"} {
		if _, err := bind(t, spec, testSchema); err == nil || !strings.Contains(err.Error(), "parameter rate") {
			t.Errorf("Bind(%q) error %v, want one naming parameter rate", spec, err)
		}
	}
}

func TestValuesPanicOnWrongAccess(t *testing.T) {
	v, err := bind(t, "f(rate=1)", testSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func()
		want string
	}{
		{"Float(missing)", func() { v.Float("missing") }, "f has no numeric parameter missing"},
		{"Int(order)", func() { v.Int("order") }, "f has no numeric parameter order"},
		{"Floats(rate)", func() { v.Floats("rate") }, "f has no list parameter rate"},
		{"Word(k)", func() { v.Word("k") }, "f has no word parameter k"},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s did not panic", c.name)
				} else if !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("%s panicked with %q, want %q", c.name, r, c.want)
				}
			}()
			c.call()
		}()
	}
}

func TestErrorf(t *testing.T) {
	v, err := bind(t, "f(rate=1, k=0)", testSchema)
	if err != nil {
		t.Fatal(err)
	}
	got := v.Errorf("k", "must be at least %d, got %d", 1, v.Int("k")).Error()
	if want := "f: parameter k: must be at least 1, got 0"; got != want {
		t.Errorf("Errorf = %q, want %q", got, want)
	}
}

func TestUsageAndKind(t *testing.T) {
	if got, want := testSchema.Usage(), "rate=<number>, k=2, rates=[0.5, 2], order=fcfs"; got != want {
		t.Errorf("Usage = %q, want %q", got, want)
	}
	if got := (param.Schema{}).Usage(); got != "" {
		t.Errorf("empty Usage = %q, want \"\"", got)
	}
	for k, want := range map[param.Kind]string{param.Float: "number", param.Int: "whole number", param.Floats: "list of numbers", param.Word: "word"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// Example parses a spec, binds it to a schema (defaults filled, values
// typed) and shows the canonical form stored in results and a typical error.
func Example() {
	schema := param.Schema{
		{Name: "rates", Kind: param.Floats, Doc: "relative intensities"},
		{Name: "switch", Kind: param.Floats, Default: "[0.1, 0.1]", Doc: "rates of leaving each state"},
		{Name: "n", Kind: param.Int, Default: "2", Doc: "states"},
	}
	call, err := param.Parse("mmpp( rates = [0.5, 2.0] )")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := param.Bind(call, schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Floats("rates"), v.Floats("switch"), v.Int("n"))
	fmt.Println(v.Canonical(schema))

	call, _ = param.Parse("mmpp(rates=[1, 1], n=1.5)")
	_, err = param.Bind(call, schema)
	fmt.Println(err)
	// Output:
	// [0.5 2] [0.1 0.1] 2
	// mmpp(rates=[0.5,2], switch=[0.1,0.1], n=2)
	// mmpp: parameter n: want a whole number, got "1.5"
}

// A parameter added later is left out of the canonical form at its
// default (given or not), so points stored before it existed keep their
// keys; any other value shows.
func TestCanonicalLater(t *testing.T) {
	schema := param.Schema{
		{Name: "T", Kind: param.Int, Default: "2", Doc: "threshold"},
		{Name: "tau", Kind: param.Float, Default: "0.5", Doc: "added later", Later: true},
		{Name: "pick", Kind: param.Word, Default: "first", Doc: "added later", Later: true},
	}
	for _, c := range []struct{ spec, want string }{
		{"p", "p(T=2)"},
		{"p(pick=first, tau=0.50)", "p(T=2)"},
		{"p(pick=heaviest)", "p(T=2, pick=heaviest)"},
		{"p(tau=1, T=3)", "p(T=3, tau=1)"},
	} {
		v, err := bind(t, c.spec, schema)
		if err != nil {
			t.Fatalf("Bind(%q): %v", c.spec, err)
		}
		if got := v.Canonical(schema); got != c.want {
			t.Errorf("Bind(%q).Canonical = %q, want %q", c.spec, got, c.want)
		}
	}
}
