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
// own.
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
