package workload

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestTraceRoundTrip(t *testing.T) {
	c := Config{Size: "lognormal(scv=3)", Classes: []ClassConfig{{Weight: 1}, {Weight: 1, Size: "det(value=0.1)"}}, Keys: "zipf(n=10)"}
	want := jobs(t, c, 5, 0.7, 500)
	var buf bytes.Buffer
	if err := WriteTrace(&buf, want); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "id,arrival,size,class,key\n0,") {
		t.Errorf("trace starts %q", buf.String()[:40])
	}
	got, err := ReadTrace(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d jobs, wrote %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("job %d: read %+v, wrote %+v", i, got[i], want[i])
		}
	}
	empty, err := ReadTrace(strings.NewReader("id,arrival,size,class,key\r\n\r\n"))
	if err != nil || len(empty) != 0 {
		t.Errorf("header only: %v, %v", empty, err)
	}
}

func TestTraceErrors(t *testing.T) {
	const h = "id,arrival,size,class,key\n"
	for _, c := range []struct{ in, want string }{
		{"", "trace empty: want a header"},
		{"id,time,size\n", "trace line 1: the header \"id,time,size\" has no column arrival"},
		{h + "0,1,1,0,0\n1,2,1,0\n", "trace line 3: 4 fields, the header has 5"},
		{h + "0,1,1,0,0\n1,x,1,0,0\n", `trace line 3: arrival: want a finite number >= 0, got "x"`},
		{h + "0,1,-1,0,0\n", "trace line 2: size: want a finite number >= 0"},
		{h + "0,2,1,0,0\n1,1,1,0,0\n", "trace line 3: arrival 1 is before the previous one"},
		{h + "0,1,1,-1,0\n", "trace line 2: class"},
		{h + "0,1,1,0,9999999999\n", "trace line 2: key"},
	} {
		_, err := ReadTrace(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}
