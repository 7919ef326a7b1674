package experiment

import (
	"slices"
	"testing"
)

// TestBackendTable checks that the listed names are exactly the backends,
// and what each is.
func TestBackendTable(t *testing.T) {
	names := BackendNames()
	if len(names) != len(backends) {
		t.Fatalf("listed %v, table has %d backends", names, len(backends))
	}
	for _, n := range names {
		if _, ok := BackendNamed(n); !ok {
			t.Errorf("listed backend %s has no entry", n)
		}
	}
	var real, testbed []string
	for _, n := range names {
		if IsReal(n) {
			real = append(real, n)
		}
		if IsTestbed(n) {
			testbed = append(testbed, n)
		}
	}
	if !slices.Equal(real, []string{"local", "testbed"}) || !slices.Equal(testbed, []string{"testbed"}) || IsReal("cloud") {
		t.Errorf("real %v, testbed %v", real, testbed)
	}
}
