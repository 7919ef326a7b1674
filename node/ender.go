package node

import "github.com/loadlab/loadlab/policy"

// startPolicies starts the dispatchers that hold something outside the
// model before the run's clock starts.
func (co *coordinator) startPolicies() error {
	for _, d := range co.disps {
		if e, ok := d.d.(policy.Ender); ok {
			d.mu.Lock()
			err := e.Start(d.view)
			d.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// endPolicies ends the dispatchers that hold something outside the model
// (an external policy's process, package external): the first error, of
// a decision or of the end, fails the run. The coordinator's dispatchers
// are the only policies it runs; the agents' migration policies are their
// own (startPolicy, endPolicy), and their errors come with their stats.
func (co *coordinator) endPolicies() error {
	var first error
	for _, d := range co.disps {
		e, ok := d.d.(policy.Ender)
		if !ok {
			continue
		}
		d.mu.Lock()
		err := e.Err()
		if end := e.End(); err == nil {
			err = end
		}
		d.mu.Unlock()
		if first == nil {
			first = err
		}
	}
	return first
}

// startPolicy starts the point's migration policy if it holds something
// outside the model (an external process: one per agent), as the point is
// configured, before the run's clock starts. A failure is ended at once.
func (p *point) startPolicy() error {
	e, ok := p.mig.(policy.Ender)
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := e.Start(p.view); err != nil {
		_ = e.End()
		return err
	}
	return nil
}

// endPolicy ends the point's migration policy as the point ends. Its
// failures during the run reached the coordinator with the agent's stats
// (AgentStats.PolicyError); an exit that fails only now is not reported.
func (p *point) endPolicy() {
	if e, ok := p.mig.(policy.Ender); ok {
		p.mu.Lock()
		_ = e.End()
		p.mu.Unlock()
	}
}
