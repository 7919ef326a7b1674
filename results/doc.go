// Package results defines the record of one experiment point and stores
// records durably: an append-only JSON Lines file, synced record by record,
// that a killed sweep resumes from without losing or duplicating a point.
//
// # File format
//
// A store is a directory holding one file, results.jsonl (FileName). Each
// line is one Record encoded as a JSON object and ended by "\n":
//
//	{"point":{...},"result":{...},"env":{...}}
//
// The three parts are:
//
//   - "point" (Point) says what was run: the policy and its canonical
//     parameters, the workload, the offered load per server ρ, the cluster
//     size, the replication index and the root seed. "key" identifies the
//     point and its replication and is unique within a store.
//   - "result" (Result) says what was measured. Times (response times,
//     waits, sim_time, gossip ages) are in model units, where a job of size
//     1 takes 1 unit on a speed-1 server; rates are per model unit; counts
//     are plain integers; "histogram" is a latency.Histogram in its Encode
//     form; "node_utilization" and "node_tlp" are per-node lists.
//   - "env" (Env) says where and when it ran: version, the commit the
//     binary was built from and whether its tree was "modified" ("unknown"
//     for builds without a VCS stamp), host, CPU, Go version, "start" as
//     an RFC 3339 time and "seconds" of wall time.
//
// "seed" is a 64-bit unsigned integer, stored as a JSON number: Go and
// Python read it exactly, but JavaScript and many other JSON readers round
// numbers above 2^53. The outputs meant for other programs write it as a
// decimal string (Point.Portable, for loadlab run --json and sweep
// --json) or, in CSV, always quoted (WriteCSV).
//
// Blank lines are allowed and skipped. Append never stores a key twice;
// should a file hold one twice anyway (say, two files concatenated by
// hand), readers keep the first record with that key.
//
// The JSON names are those of the struct tags in record.go. Readers ignore
// fields they do not know, so fields can be added without breaking old
// files. JSON cannot hold NaN or infinities, so a Record with such a value
// cannot be stored: producers report "not available" some other way (a
// zero with a count, such as CI95HalfWidth with Batches).
//
// # Durability and the torn tail
//
// The file is append-only: Store.Append writes a record as a single line
// and fsyncs the file before it returns, so an accepted record survives a
// crash, and no line is ever rewritten. A crash in the middle of an Append
// can leave a torn last line: one without its newline, or one that does not
// decode as a record. That record was never acknowledged, so Open truncates
// it away (reporting the bytes through Store.Repaired) and Read ignores it.
// A bad line anywhere before the last one cannot come from a crash; both
// Open and Read refuse such a file with an error naming the line.
//
// # Resume
//
// A sweep runner opens the store, and for each point of its spec skips the
// ones whose Point.Key the store already Has; it runs the others and
// Appends their records. The key hashes everything that determines a
// point's result, so the points of a spec that has since grown (a policy,
// a load, replications more) are found and reused; the runner refuses a
// store whose points the spec now configures otherwise (package
// experiment). Append refuses a key that is already stored
// (ErrDuplicate), so a point is never recorded twice, and a killed sweep
// loses at most the points that were running when it died.
//
// Derived files (CSV tables, figures, copies of specs) are not appended
// but replaced whole with WriteFileAtomic. WriteCSV writes the records as a
// tidy table, one row per point and replication.
package results
