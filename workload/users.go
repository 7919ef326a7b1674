package workload

import "math/rand/v2"

// Users are a workload's closed users in one run (Config.Users): what
// their requests are and how long they think. Each user issues a
// request, waits for it to end (completed or failed), thinks for a time
// drawn from the workload's think distribution and issues the next;
// users start thinking at time 0. Every backend drives the users through
// this one type, with the same streams of the run's seed: the simulator
// from its events, the agents' coordinator from its clock. A Users is not
// safe for concurrent use.
type Users struct {
	n     int
	gen   *Generator // the requests' sizes, classes and keys
	think Dist
	rand  *rand.Rand      // "think"
	of    map[int64]int32 // a request in progress → its user
}

// mixedSeed is what the users' own generator's seed differs from the
// run's by beside an open stream, so that their requests do not move
// the open stream's jobs.
const mixedSeed = 0x9e3779b97f4a7c15

// Users returns the closed users of a run seeded by seed; nil for a
// workload without them. Without an open stream the users' requests are
// the jobs the run's own generator draws (their sizes, classes and keys:
// the arrival times are the users'); beside one they come from streams
// of their own.
func (w *Workload) Users(seed uint64) *Users {
	if w.users == 0 {
		return nil
	}
	gs := seed
	if w.Open() {
		gs ^= mixedSeed
	}
	// The rate only spaces the generator's arrivals, which Issue replaces.
	return &Users{n: w.users, gen: w.Generator(gs, 1), think: w.think, rand: Stream(seed, "think"), of: make(map[int64]int32, w.users)}
}

// N is the number of users.
func (u *Users) N() int { return u.n }

// Think draws a think time.
func (u *Users) Think() float64 { return u.think.Rand(u.rand) }

// Issue fills j with user's next request, of ID id, arriving at at.
func (u *Users) Issue(user int32, id int64, at float64, j *Job) {
	u.gen.Fill(j)
	j.ID, j.Arrival = id, at
	u.of[id] = user
}

// Ended is told that request id ended: it returns its user, who thinks
// now, or false if id is no user's request in progress (an open
// stream's, or one already told).
func (u *Users) Ended(id int64) (user int32, ok bool) {
	user, ok = u.of[id]
	delete(u.of, id)
	return user, ok
}
