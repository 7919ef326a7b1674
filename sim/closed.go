package sim

import (
	"math/rand/v2"

	"github.com/loadlab/loadlab/workload"
)

// Closed users (workload.Config.Users): each user issues a request, waits
// for it to end (completed or failed), thinks for a time drawn from the
// workload's think distribution and issues the next. The requests' sizes,
// classes and keys come from the workload's generator as open arrivals'
// do; their arrival times are the users'. Users start thinking at time 0.
type users struct {
	gen   *workload.Generator // the users' jobs: the point's generator, or beside an open stream one of their own
	think workload.Dist
	rand  *rand.Rand      // "think"
	of    map[int64]int32 // a request in progress → its user
}

// usersInit starts the closed users of the workload, if any.
func (c *cluster) usersInit() {
	n, think := c.cfg.Workload.Closed()
	if n == 0 {
		return
	}
	c.users = &users{gen: c.gen, think: think, rand: workload.Stream(c.cfg.Seed, "think"), of: make(map[int64]int32, n)}
	if c.cfg.Workload.Open() {
		// Beside an open stream the users draw their jobs from streams of
		// their own, so that theirs do not move the open arrivals.
		c.users.gen = c.cfg.Workload.Generator(c.cfg.Seed^0x9e3779b97f4a7c15, 1)
	}
	for u := range int32(n) {
		c.thinkThen(u)
	}
}

// thinkThen schedules user u's next request after a think time.
func (c *cluster) thinkThen(u int32) {
	c.schedule(event{t: c.now + c.users.think.Rand(c.users.rand), kind: evUser, node: -1, job: u})
}

// userArrive issues user u's next request, unless every job is issued.
func (c *cluster) userArrive(u int32) {
	if c.issued >= int64(c.cfg.Jobs) {
		return
	}
	j := c.newJob()
	jb := &c.jobs[j]
	*jb = job{}
	c.users.gen.Fill(&jb.Job.Job)
	jb.ID, jb.Arrival, jb.left = c.issued, c.now, jb.Size // IDs in arrival order, beside an open stream too
	c.users.of[jb.ID] = u
	c.issued++
	c.m.arrival(c, jb.ID)
	c.place(j)
}

// userDone is told that request id ended; its user starts thinking.
func (c *cluster) userDone(id int64) {
	if u, ok := c.users.of[id]; ok {
		delete(c.users.of, id)
		c.thinkThen(u)
	}
}
