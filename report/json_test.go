package report

import (
	"encoding/json"

	"github.com/loadlab/loadlab/results"
)

// jsonLine encodes r as one line of a results store.
func jsonLine(r results.Record) ([]byte, error) {
	b, err := json.Marshal(r)
	return append(b, '\n'), err
}
