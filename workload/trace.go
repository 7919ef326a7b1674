package workload

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
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

// ReadTrace reads a CSV trace: the format WriteTrace writes, or any CSV
// with a header naming arrival and size, and optionally class and key,
// in any order (other columns, id among them, are ignored); rows in
// arrival order. Jobs are numbered 0, 1, … in file order. Errors give
// the line number. The same reader serves trace(file=…) replays.
func ReadTrace(r io.Reader) ([]Job, error) {
	tj, err := readCSVTrace(r)
	if err != nil {
		return nil, fmt.Errorf("trace %w", err)
	}
	jobs := make([]Job, len(tj))
	for i, j := range tj {
		jobs[i] = Job{ID: int64(i), Arrival: j.at, Size: j.size, Class: j.class, Key: j.key}
	}
	return jobs, nil
}
