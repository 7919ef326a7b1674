package experiment

import (
	"bytes"
	"fmt"

	"github.com/loadlab/loadlab/results"
)

// MergeSummary says what Merge did.
type MergeSummary struct {
	Points     int // points in the spec
	Merged     int // records copied into the output now
	Duplicates int // records whose point was already there (skipped)
	Missing    int // points of the spec that no store holds yet
}

// Merge combines the stores of sweeps of one spec, such as the shards of
// `loadlab sweep --shard i/n` run on several machines, into out. It
// refuses stores of different specs. A point found in several stores is
// kept once (the first met). Merging again, or into a directory that
// already holds some of the points, only adds what is missing.
func Merge(out string, dirs []string) (MergeSummary, error) {
	var sum MergeSummary
	if len(dirs) == 0 {
		return sum, &InputError{fmt.Errorf("merge: give at least one sweep directory")}
	}
	var spec *Spec
	for _, d := range dirs {
		s, err := Reopen(d)
		if err != nil {
			return sum, err
		}
		if spec == nil {
			spec = s
			continue
		}
		if !bytes.Equal(s.Raw(), spec.Raw()) {
			return sum, &InputError{fmt.Errorf("merge: %s and %s hold sweeps of different specs (their %s differ): merge only the shards of one spec", dirs[0], d, SpecFile)}
		}
	}
	points, err := spec.Points()
	if err != nil {
		return sum, err
	}
	sum.Points = len(points)
	if err := claimDir(spec, out); err != nil {
		return sum, err
	}
	store, err := results.Open(out)
	if err != nil {
		return sum, err
	}
	defer store.Close()
	for _, d := range dirs {
		recs, err := results.Read(d)
		if err != nil {
			return sum, fmt.Errorf("merge: %s: %w", d, err)
		}
		for _, r := range recs {
			if r.Point.Spec != spec.Hash() {
				return sum, &InputError{fmt.Errorf("merge: %s holds a record of another spec (point %s, spec %s, want %s)", d, r.Point.Key, r.Point.Spec, spec.Hash())}
			}
			if store.Has(r.Point.Key) {
				sum.Duplicates++
				continue
			}
			if err := store.Append(r); err != nil {
				return sum, err
			}
			sum.Merged++
		}
	}
	for _, p := range points {
		if !store.Has(p.Key) {
			sum.Missing++
		}
	}
	return sum, nil
}
