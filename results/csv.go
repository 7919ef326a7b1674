package results

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// column is one column of the CSV export: its header and how a record
// fills it. Header and rows come from the same table so they cannot drift.
type column struct {
	name  string
	value func(*Record) string
}

// textColumns are always quoted: their values read wrong as numbers.
var textColumns = map[string]bool{"seed": true}

// columns lists the CSV columns in order: the Point fields, the scalar
// Result fields, two summaries of the per-node utilizations, then the
// start and duration of the run. Names are the JSON names of the fields.
// They are read from the types, so a field added to Point or Result is a
// column without more ado.
var columns = recordColumns()

// special are the columns that are not a field's plain value, by the JSON
// name of the field they replace: a summary, or nothing (left out).
var special = map[string][]column{
	"x": {{"x", func(r *Record) string {
		if r.Point.Axis == "" {
			return ""
		}
		return fmtFloat(r.Point.X)
	}}},
	"node_utilization": {
		{"node_util_min", func(r *Record) string { return fmtExtreme(r.Result.NodeUtilization, slices.Min[[]float64]) }},
		{"node_util_max", func(r *Record) string { return fmtExtreme(r.Result.NodeUtilization, slices.Max[[]float64]) }},
	},
	"failures":     {{"failures", func(r *Record) string { return formatFailures(r.Result.Failures) }}},
	"server_costs": {{"server_costs", func(r *Record) string { return formatServerCosts(r.Result.ServerCosts) }}},
	"histogram":    nil,
	"tier_stats":   nil, // a pair of columns a tier (tierColumns)
}

// tierColumns are the columns of the tiers the records name, after the
// others: tier_utilization.NAME and tier_time.NAME for each name, sorted,
// empty in a record without that tier. A column a tier, rather than a
// list in one cell, lets pandas and R read them as numbers.
func tierColumns(recs []Record) []column {
	var names []string
	for i := range recs {
		for _, t := range recs[i].Result.TierStats {
			if !slices.Contains(names, t.Name) {
				names = append(names, t.Name)
			}
		}
	}
	slices.Sort(names)
	var out []column
	for _, name := range names {
		stat := func(r *Record, f func(TierStat) float64) string {
			for _, t := range r.Result.TierStats {
				if t.Name == name {
					return fmtFloat(f(t))
				}
			}
			return ""
		}
		out = append(out,
			column{"tier_utilization." + name, func(r *Record) string { return stat(r, func(t TierStat) float64 { return t.Utilization }) }},
			column{"tier_time." + name, func(r *Record) string { return stat(r, func(t TierStat) float64 { return t.Time }) }})
	}
	return out
}

// recordColumns builds the columns from the fields of Point and Result.
func recordColumns() []column {
	var out []column
	out = append(out, fieldColumns(reflect.TypeFor[Point](), func(r *Record) reflect.Value { return reflect.ValueOf(&r.Point).Elem() })...)
	out = append(out, fieldColumns(reflect.TypeFor[Result](), func(r *Record) reflect.Value { return reflect.ValueOf(&r.Result).Elem() })...)
	return append(out,
		column{"start", func(r *Record) string { return fmtTime(r.Env.Start) }},
		column{"seconds", func(r *Record) string { return fmtFloat(r.Env.Seconds) }})
}

// fieldColumns returns a column for each scalar field of struct t (of
// which of gives a record's value), or its special columns.
func fieldColumns(t reflect.Type, of func(*Record) reflect.Value) []column {
	var out []column
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if cs, ok := special[name]; ok {
			out = append(out, cs...)
			continue
		}
		var format func(reflect.Value) string
		switch f.Type.Kind() {
		case reflect.String:
			format = reflect.Value.String
		case reflect.Float64:
			format = func(v reflect.Value) string { return fmtFloat(v.Float()) }
		case reflect.Int, reflect.Int64:
			format = func(v reflect.Value) string { return strconv.FormatInt(v.Int(), 10) }
		case reflect.Bool:
			format = func(v reflect.Value) string { return strconv.FormatBool(v.Bool()) }
		case reflect.Uint64:
			format = func(v reflect.Value) string { return strconv.FormatUint(v.Uint(), 10) }
		default:
			continue // slices and series: not one value per row
		}
		idx := i
		out = append(out, column{name, func(r *Record) string { return format(of(r).Field(idx)) }})
	}
	return out
}

// WriteCSV writes a tidy CSV table for pandas and R: a header, then one
// row per record (that is, per point and replication).
//
// The columns are every Point field, every scalar Result field (the
// histogram and the per-node slices are left out; node_util_min and
// node_util_max summarise NodeUtilization), then the Env's start (RFC 3339)
// and seconds, then two columns for each shared tier that a record names
// (tierColumns). Names are the JSON names of the fields. Numbers are written
// in strconv's 'g' form with full precision; fields are quoted only when
// needed, except the seed: a 64-bit integer, which a reader that takes
// every number for a double (R, JavaScript, spreadsheets) would round above
// 2^53, is always quoted, so that readers that keep quoted fields as text
// keep it exact. pandas reads it exactly either way (as int64 or uint64);
// in R, read it with colClasses = c(seed = "character"). Empty cells mean
// "not available": node_util_min and node_util_max with no per-node data,
// and start when it is the zero time.
func WriteCSV(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	cols := append(slices.Clip(columns), tierColumns(recs)...)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.name
	}
	writeRow(bw, row, nil)
	for i := range recs {
		for j, c := range cols {
			row[j] = c.value(&recs[i])
		}
		writeRow(bw, row, cols)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("results: csv: %w", err)
	}
	return nil
}

// writeRow writes one CSV line as encoding/csv would, quoting also the
// fields of text columns (cols nil: none).
func writeRow(w *bufio.Writer, fields []string, cols []column) {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		if (cols != nil && textColumns[cols[i].name]) || needsQuotes(f) {
			w.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		} else {
			w.WriteString(f)
		}
	}
	w.WriteByte('\n')
}

// needsQuotes is encoding/csv's rule: a field with a comma, a quote or a
// line break, one that starts with a space, or a lone \. is quoted.
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}

// fmtFloat writes v with the fewest digits that read back exactly.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// fmtExtreme writes pick(vs), or "" when vs is empty.
func fmtExtreme(vs []float64, pick func([]float64) float64) string {
	if len(vs) == 0 {
		return ""
	}
	return fmtFloat(pick(vs))
}

// fmtTime writes t in RFC 3339 (seconds precision, as the header promises),
// or "" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// formatFailures renders failure reasons as "reason=n; reason=n", sorted.
// formatServerCosts writes c as "create=…; switch=…; event=…; handoff=…;
// resume=…" ("" for nil: no server architecture on real agents).
func formatServerCosts(c *ServerCosts) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("create=%s; switch=%s; event=%s; handoff=%s; resume=%s",
		fmtFloat(c.Create), fmtFloat(c.Switch), fmtFloat(c.Event), fmtFloat(c.Handoff), fmtFloat(c.Resume))
}

func formatFailures(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatInt(m[k], 10)
	}
	return strings.Join(parts, "; ")
}
