package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// FileName is the name of the store's file inside its directory.
const FileName = "results.jsonl"

// ErrDuplicate is returned, wrapped with the key, by Append when a record
// with the same Point.Key is already stored.
var ErrDuplicate = errors.New("point already stored")

// Store appends Records to DIR/results.jsonl, one JSON object per line, and
// fsyncs each one before Append returns, so a record that Append accepted
// survives a crash of the process or the machine. The methods of a Store
// are safe for concurrent use.
//
// A Store assumes it is the only writer of its file: two processes
// appending to the same directory at once may store a key twice.
type Store struct {
	path string

	mu       sync.Mutex
	f        *os.File // nil after Close
	recs     []Record
	keys     map[string]struct{}
	size     int64 // bytes of the file that hold whole, synced records
	repaired int64
	err      error // sticky: set when a write or sync failed and the file's state is unknown
}

// Open opens or creates the store in dir, creating dir if needed.
//
// It reads the existing file. A torn last line left by a crash (one without
// a trailing newline, or one that is not a valid record) is truncated away,
// and the number of bytes dropped is reported by Repaired. A bad line before
// the last one is an error naming the file and the line number: that is
// damage a crash cannot cause, and Open leaves it for a person to look at.
// If the file holds a key twice, the first record wins, as in Read.
func Open(dir string) (*Store, error) {
	if err := mkdirAllSynced(dir); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	path := filepath.Join(dir, FileName)
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)

	// O_APPEND: every write lands at the current end of the file, including
	// after the truncation below.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if created {
		// Make the new file's directory entry durable too.
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, fmt.Errorf("results: %w", err)
		}
	}

	s, err := load(f, path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("results: %w", err)
	}
	return s, nil
}

// load reads the whole file behind f and truncates a torn tail.
func load(f *os.File, path string) (*Store, error) {
	data, err := readAll(f)
	if err != nil {
		return nil, err
	}
	recs, good, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, f: f, size: good, keys: make(map[string]struct{}, len(recs))}
	for _, r := range recs {
		if _, dup := s.keys[r.Point.Key]; dup {
			continue
		}
		s.keys[r.Point.Key] = struct{}{}
		s.recs = append(s.recs, r)
	}
	if torn := int64(len(data)) - good; torn > 0 {
		if err := f.Truncate(good); err != nil {
			return nil, err
		}
		if err := f.Sync(); err != nil {
			return nil, err
		}
		s.repaired = torn
	}
	return s, nil
}

// readAll reads f from its start.
func readAll(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, fi.Size())
	n, err := f.ReadAt(data, 0)
	if err != nil && n != len(data) {
		return nil, err
	}
	return data, nil
}

// parse decodes the lines of a store file. It returns the records in file
// order (duplicates included) and the length of the prefix of data made of
// whole lines that are valid records; what follows that prefix is a torn
// last line. A bad line that is not the last is an error naming path and
// the 1-based line number. Blank lines are skipped.
func parse(data []byte, path string) (recs []Record, good int64, err error) {
	line := 0
	for off := 0; off < len(data); {
		line++
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			// No newline: the write of the last record was cut short.
			// Even if the bytes happen to be valid JSON, Append never
			// returned for this record, so it is dropped.
			return recs, int64(off), nil
		}
		text := data[off : off+end]
		next := off + end + 1
		if len(bytes.TrimSpace(text)) == 0 {
			off, good = next, int64(next)
			continue
		}
		r, err := decodeLine(text)
		if err != nil {
			if next == len(data) {
				return recs, int64(off), nil // a torn last line that ends in a newline
			}
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		recs = append(recs, r)
		off, good = next, int64(next)
	}
	return recs, good, nil
}

// decodeLine decodes one line into a Record; a line that is valid JSON but
// has no point key is not a record.
func decodeLine(text []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(text, &r); err != nil {
		return Record{}, fmt.Errorf("invalid record: %w", err)
	}
	if r.Point.Key == "" {
		return Record{}, errors.New("invalid record: empty point key")
	}
	return r, nil
}

// Append writes r as one line at the end of the file and syncs the file
// before it returns. It refuses a record whose Point.Key is empty or is
// already stored (ErrDuplicate). If a write or a sync fails, the store
// refuses every later Append with that error: the state of the file is
// then unknown, and reopening it repairs a torn tail.
func (s *Store) Append(r Record) error {
	if r.Point.Key == "" {
		return errors.New("results: append: empty point key")
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("results: append %s: %w", r.Point.Key, err)
	}
	line = append(line, '\n')

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.f == nil:
		return fmt.Errorf("results: append %s: %w", r.Point.Key, fs.ErrClosed)
	case s.err != nil:
		return fmt.Errorf("results: append %s: store failed earlier: %w", r.Point.Key, s.err)
	}
	if _, dup := s.keys[r.Point.Key]; dup {
		return fmt.Errorf("results: append %s: %w", r.Point.Key, ErrDuplicate)
	}
	if _, err := s.f.Write(line); err != nil {
		// Try to cut a partial line off so that the file stays clean; the
		// store stays failed either way.
		s.f.Truncate(s.size)
		s.err = err
		return fmt.Errorf("results: append %s: %w", r.Point.Key, err)
	}
	if err := s.f.Sync(); err != nil {
		// After a failed fsync the kernel may have dropped the dirty pages:
		// retrying would report success for data that is not on disk.
		s.err = err
		return fmt.Errorf("results: append %s: %w", r.Point.Key, err)
	}
	s.size += int64(len(line))
	s.keys[r.Point.Key] = struct{}{}
	s.recs = append(s.recs, cloneRecord(r))
	return nil
}

// Has reports whether a record with Point.Key key is stored.
func (s *Store) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.keys[key]
	return ok
}

// Records returns a copy of all stored records, in file order.
func (s *Store) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.recs))
	for i, r := range s.recs {
		out[i] = cloneRecord(r)
	}
	return out
}

// Len returns the number of stored records.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

// Repaired returns the number of bytes of a torn last line that Open cut
// off the file (0 if the file was clean).
func (s *Store) Repaired() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repaired
}

// Path returns the path of the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the file. Every accepted record is already synced, so Close
// has nothing to flush. Closing a closed Store returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// Read loads the records of the store in dir without opening it for
// writing, for reports such as plots and exports. A torn last line is
// ignored, not an error, and not repaired; a bad line before the last is an
// error naming the file and line number. Of records sharing a key, the first
// is kept. A missing store is an error that wraps fs.ErrNotExist.
func Read(dir string) ([]Record, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	all, _, err := parse(data, path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	seen := make(map[string]struct{}, len(all))
	recs := all[:0]
	for _, r := range all {
		if _, dup := seen[r.Point.Key]; dup {
			continue
		}
		seen[r.Point.Key] = struct{}{}
		recs = append(recs, r)
	}
	return recs, nil
}

// cloneRecord copies r, including its slices, so that the store and its
// callers never share memory.
func cloneRecord(r Record) Record {
	r.Result.NodeUtilization = slices.Clone(r.Result.NodeUtilization)
	r.Result.NodeTLP = slices.Clone(r.Result.NodeTLP)
	r.Result.CodeHits = slices.Clone(r.Result.CodeHits)
	r.Result.TierStats = slices.Clone(r.Result.TierStats)
	if c := r.Result.ServerCosts; c != nil {
		cc := *c
		r.Result.ServerCosts = &cc
	}
	return r
}
