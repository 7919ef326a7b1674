package sim

// Closed users (workload.Config.Users) are workload.Users driven by the
// simulator's events: a user's think time ends in an evUser event, which
// issues its next request; the request's end starts its think time.

// usersInit starts the closed users of the workload, if any: each
// thinks from time 0.
func (c *cluster) usersInit() {
	c.users = c.cfg.Workload.Users(c.cfg.Seed)
	if c.users == nil {
		return
	}
	for u := range int32(c.users.N()) {
		c.thinkThen(u)
	}
}

// thinkThen schedules user u's next request after a think time.
func (c *cluster) thinkThen(u int32) {
	c.schedule(event{t: c.now + c.users.Think(), kind: evUser, node: -1, job: u})
}

// userArrive issues user u's next request, unless every job is issued.
func (c *cluster) userArrive(u int32) {
	if c.issued >= int64(c.cfg.Jobs) {
		return
	}
	j := c.newJob()
	jb := &c.jobs[j]
	*jb = job{}
	c.users.Issue(u, c.issued, c.now, &jb.Job.Job) // IDs in arrival order, beside an open stream too
	jb.left = jb.Size
	c.issued++
	c.m.arrival(c, &jb.Job.Job)
	c.place(j)
}

// userDone is told that request id ended; its user starts thinking.
func (c *cluster) userDone(id int64) {
	if u, ok := c.users.Ended(id); ok {
		c.thinkThen(u)
	}
}
