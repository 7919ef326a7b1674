package workload

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// traceHeader is the first line of a trace.
const traceHeader = "id,arrival,size,class,key"

// WriteTrace writes jobs as CSV with the header id,arrival,size,class,key.
// Numbers are written in the shortest form that reads back exactly.
func WriteTrace(w io.Writer, jobs []Job) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(traceHeader + "\n")
	var buf []byte
	for _, j := range jobs {
		buf = strconv.AppendInt(buf[:0], j.ID, 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, j.Arrival, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, j.Size, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(j.Class), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(j.Key), 10)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write trace: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}

// ReadTrace reads a CSV written by WriteTrace. Blank lines are skipped. It
// checks that ids run 0, 1, ..., arrivals are finite and non-decreasing,
// sizes finite and >= 0, classes and keys >= 0; errors give the line number.
func ReadTrace(r io.Reader) ([]Job, error) {
	sc := bufio.NewScanner(r)
	var jobs []Job
	line, header := 0, false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if !header {
			if strings.ReplaceAll(text, " ", "") != traceHeader {
				return nil, fmt.Errorf("trace line %d: want header %q, got %q", line, traceHeader, text)
			}
			header = true
			continue
		}
		j, err := parseTraceLine(text, int64(len(jobs)))
		if err != nil {
			return nil, fmt.Errorf("trace line %d: %w", line, err)
		}
		if n := len(jobs); n > 0 && j.Arrival < jobs[n-1].Arrival {
			return nil, fmt.Errorf("trace line %d: arrival %v is before the previous one (%v): jobs must be in arrival order", line, j.Arrival, jobs[n-1].Arrival)
		}
		jobs = append(jobs, j)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trace line %d: %w", line+1, err)
	}
	if !header {
		return nil, fmt.Errorf("trace: empty input: want header %q", traceHeader)
	}
	return jobs, nil
}

// parseTraceLine parses one data line; want is the expected id.
func parseTraceLine(text string, want int64) (Job, error) {
	f := strings.Split(text, ",")
	if len(f) != 5 {
		return Job{}, fmt.Errorf("want 5 fields (%s), got %d", traceHeader, len(f))
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	var j Job
	var err error
	if j.ID, err = strconv.ParseInt(f[0], 10, 64); err != nil || j.ID != want {
		return Job{}, fmt.Errorf("id: want %d (ids run 0, 1, ... in order), got %q", want, f[0])
	}
	if j.Arrival, err = strconv.ParseFloat(f[1], 64); err != nil || math.IsNaN(j.Arrival) || math.IsInf(j.Arrival, 0) {
		return Job{}, fmt.Errorf("arrival: want a finite number, got %q", f[1])
	}
	if j.Size, err = strconv.ParseFloat(f[2], 64); err != nil || !(j.Size >= 0) || math.IsInf(j.Size, 0) {
		return Job{}, fmt.Errorf("size: want a finite number >= 0, got %q", f[2])
	}
	c, err := strconv.ParseInt(f[3], 10, 32)
	if err != nil || c < 0 {
		return Job{}, fmt.Errorf("class: want a whole number >= 0, got %q", f[3])
	}
	k, err := strconv.ParseInt(f[4], 10, 32)
	if err != nil || k < 0 {
		return Job{}, fmt.Errorf("key: want a whole number >= 0, got %q", f[4])
	}
	j.Class, j.Key = int32(c), int32(k)
	return j, nil
}
