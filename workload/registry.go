package workload

import "github.com/loadlab/loadlab/param"

// Entry describes one registered name for listings.
type Entry = param.Entry
