// Package load holds the load record a node reports about itself: the one
// type the policies, the executor and gossip all speak.
package load

// State is the load a node reports about itself.
type State struct {
	Queue   int     // jobs present, waiting or in service: the classic load index
	Running int     // jobs in service
	Work    float64 // remaining work in size units (a size-1 job is 1 on a speed-1 server)
	Servers int     // servers (execution slots)
	Speed   float64 // service speed of each server
}

// Waiting is the number of jobs queued and not yet started.
func (s State) Waiting() int { return s.Queue - s.Running }
