package node

import (
	"container/heap"
	"context"
	"math"
	"sync"
	"time"

	"github.com/loadlab/loadlab/workload"
)

// closedUsers drives a workload's closed users (workload.Users, the one
// definition the simulator drives too) from the coordinator's clock: a
// user thinking is due at the end of its think time; the generator
// releases its request then (runUsers), and the request's end, completed
// or failed, starts its next think time (ended). Times are model time
// from the arrivals' origin. The generator and the completion handler
// both use it: its mutex guards u and due.
type closedUsers struct {
	mu   sync.Mutex
	u    *workload.Users
	due  dues          // the users thinking, by when their next request is due
	wake chan struct{} // one slot: a user started thinking
}

// newClosedUsers starts u's users thinking at time 0.
func newClosedUsers(u *workload.Users) *closedUsers {
	cu := &closedUsers{u: u, due: make(dues, 0, u.N()), wake: make(chan struct{}, 1)}
	for user := range int32(u.N()) {
		cu.due = append(cu.due, due{at: u.Think(), user: user})
	}
	heap.Init(&cu.due)
	return cu
}

// next is when the next user is due (+Inf: none is thinking).
func (cu *closedUsers) next() float64 {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	if len(cu.due) == 0 {
		return math.Inf(1)
	}
	return cu.due[0].at
}

// issue returns the request, of ID id, of the user due first, arriving
// when it was due.
func (cu *closedUsers) issue(id int64) workload.Job {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	d := heap.Pop(&cu.due).(due)
	var j workload.Job
	cu.u.Issue(d.user, id, d.at, &j)
	return j
}

// ended is told that request id ended at at: its user, if it is a
// user's, thinks from then on.
func (cu *closedUsers) ended(id int64, at float64) {
	cu.mu.Lock()
	user, ok := cu.u.Ended(id)
	if ok {
		heap.Push(&cu.due, due{at: at + cu.u.Think(), user: user})
	}
	cu.mu.Unlock()
	if ok {
		select {
		case cu.wake <- struct{}{}:
		default:
		}
	}
}

// usersMargin is how long before a due time the generator stops waiting
// on a timer, which a user newly thinking can interrupt, and sleeps
// precisely to it: a user who becomes due earlier than that in the
// meantime is released up to usersMargin late (measured as lag).
const usersMargin = 2 * time.Millisecond

// runUsers releases the closed users' requests, and the open stream's
// jobs beside them if any, each at its time, in the order of their
// times, with IDs in that order (as the simulator numbers them), until
// g.n are released.
func (g *generator) runUsers(ctx context.Context, out outlet) error {
	cu := g.users
	open := workload.Job{Arrival: math.Inf(1)}
	if g.open {
		open = g.jobs.Next()
	}
	for id := int64(0); id < int64(g.n); id++ {
		for {
			at := min(cu.next(), open.Arrival)
			if math.IsInf(at, 1) {
				select { // every user waits for a request to end
				case <-cu.wake:
					continue
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			woken, err := sleepUntilOrWake(ctx, g.clock.wall(at+g.offset), cu.wake, usersMargin)
			if err != nil {
				return err
			}
			if !woken {
				break
			}
		}
		var w workload.Job
		if open.Arrival <= cu.next() {
			w, open = open, g.jobs.Next()
			w.ID = id
		} else {
			w = cu.issue(id)
		}
		if err := g.release(ctx, out, w, false); err != nil {
			return err
		}
	}
	return nil
}

// due is a user thinking until at.
type due struct {
	at   float64
	user int32
}

// dues is a min-heap of users by due time, ties by user.
type dues []due

func (h dues) Len() int { return len(h) }
func (h dues) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].user < h[j].user)
}
func (h dues) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dues) Push(x any)   { *h = append(*h, x.(due)) }
func (h *dues) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
