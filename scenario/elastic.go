package scenario

import "github.com/loadlab/loadlab/policy"

// IsElastic reports whether the cluster's nodes change during a run (a
// plan or an autoscaler).
func (m Model) IsElastic() bool { return m.Elastic != nil || m.Scale != nil }

// validateElastic checks an elastic cluster's plan, and refuses what
// nodes joining and leaving do not run beside yet.
func (m Model) validateElastic() error {
	if !m.IsElastic() {
		return nil
	}
	if m.Elastic != nil {
		if err := m.Elastic.Validate(m.Nodes); err != nil {
			return &FieldError{Field: "elastic", Err: err}
		}
	}
	switch {
	case len(m.Faults) > 0:
		return Errorf("elastic", "faults do not yet run on an elastic cluster: leave faults out, or elastic and scale")
	case len(m.Platforms) > 0:
		return Errorf("elastic", "work units (platforms) do not yet run on an elastic cluster: leave units out")
	case m.Server != nil:
		return Errorf("elastic", "server architectures do not yet run on an elastic cluster: leave server out")
	case m.Client != nil:
		return Errorf("elastic", "client policies do not yet run on an elastic cluster (a copy on a draining node): leave client out")
	case m.Workload != nil && m.Workload.Tasks() > 1:
		return Errorf("elastic", "requests with tasks do not yet run on an elastic cluster: use one task a request")
	case m.Dispatch != nil && policy.Reserves(m.Dispatch):
		return Errorf("elastic", "%s binds tasks late, which an elastic cluster does not model yet: use binding=early", m.Dispatch)
	}
	return nil
}
