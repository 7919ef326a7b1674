package experiment

import (
	"bytes"
	"context"
	"fmt"

	"github.com/loadlab/loadlab/results"
)

// MergeSummary says what Merge did.
type MergeSummary struct {
	Points     int // points in the spec
	Merged     int // records copied into the output now
	Duplicates int // records whose point was already there (skipped)
	Missing    int // points of the spec that no store holds yet
	Other      int // records of points the spec does not have (any more): not copied
}

// Merge combines the stores of sweeps of one spec, such as the shards of
// `loadlab sweep --shard i/n` run on several machines, into out. It
// refuses stores of different specs, and records whose point the spec has
// with another configuration (the rule of Sweep: a store may hold the
// points of an earlier version of its spec, which are copied when the spec
// still has them unchanged). A point found in several stores is kept once
// (the first met). Merging again, or into a directory that already holds
// some of the points, only adds what is missing. Nothing is written when
// Merge refuses.
func Merge(ctx context.Context, out string, dirs []string) (MergeSummary, error) {
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
			return sum, &InputError{fmt.Errorf("merge: %s and %s hold sweeps of different specs (their %s differ): merge only the shards of one spec, each swept with its latest version", dirs[0], d, SpecFile)}
		}
	}
	sum.Points = spec.Count()
	recs := make([][]results.Record, len(dirs))
	for k, d := range dirs {
		var err error
		if recs[k], err = results.Read(d); err != nil {
			return sum, fmt.Errorf("merge: %s: %w", d, err)
		}
		for _, r := range recs[k] {
			if err := spec.check(r.Point); err != nil {
				return sum, &InputError{fmt.Errorf("merge: %s holds a point unlike its spec's: %w", d, err)}
			}
		}
	}
	store, err := claim(ctx, spec, out)
	if err != nil {
		return sum, err
	}
	defer store.Close()
	for _, rs := range recs {
		for _, r := range rs {
			if _, ok := spec.find(r.Point); !ok {
				sum.Other++
				continue
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
	have := 0
	for _, r := range store.Records() {
		if i, ok := spec.find(r.Point); ok && i < spec.Count() {
			have++
		}
	}
	sum.Missing = sum.Points - have
	return sum, nil
}
