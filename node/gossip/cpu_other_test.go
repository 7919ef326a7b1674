//go:build !unix

package gossip

import "time"

// cpuTime is unknown here.
func cpuTime() time.Duration { return 0 }
