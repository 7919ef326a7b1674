package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loadlab/loadlab/param"
)

// Kind tells dispatch strategies, migration policies, autoscalers and
// admission policies apart.
type Kind int

// Kinds of policy.
const (
	Dispatch Kind = iota
	Migrate
	Scale // autoscaling (scale.go)
	Admit // admission at a node: policy/admit.go
)

func (k Kind) String() string {
	switch k {
	case Dispatch:
		return "dispatch"
	case Scale:
		return "scale"
	case Admit:
		return "admission"
	}
	return "migrate"
}

// Info describes a registered policy for listings and errors.
type Info struct {
	Name   string
	Kind   Kind
	Params param.Schema
	Doc    string // one line
	Ref    string // the paper or system it comes from
}

// DispatchBuilder builds a fresh Dispatcher for a run.
type DispatchBuilder func(env Env) Dispatcher

// MigrateBuilder builds a fresh Migrator for one node of a run.
type MigrateBuilder func(env Env) Migrator

// A DispatchFactory validates parameters and returns a builder.
type DispatchFactory func(p param.Values) (DispatchBuilder, error)

// A MigrateFactory validates parameters and returns a builder.
type MigrateFactory func(p param.Values) (MigrateBuilder, error)

type entry struct {
	info     Info
	dispatch DispatchFactory
	migrate  MigrateFactory
	scale    ScaleFactory
	admit    AdmitFactory
}

// Registry maps policy names to factories. Fill it explicitly (Builtin);
// it is not safe for concurrent registration, but lookups may run
// concurrently once it is filled.
type Registry struct {
	entries map[string]entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]entry{}} }

// AddDispatch registers a dispatch strategy. It panics on a duplicate name
// (a programmer error).
func (r *Registry) AddDispatch(info Info, f DispatchFactory) {
	info.Kind = Dispatch
	r.add(entry{info: info, dispatch: f})
}

// AddMigrate registers a migration policy. It panics on a duplicate name.
func (r *Registry) AddMigrate(info Info, f MigrateFactory) {
	info.Kind = Migrate
	r.add(entry{info: info, migrate: f})
}

func (r *Registry) add(e entry) {
	key := e.info.Kind.String() + "/" + e.info.Name
	if _, dup := r.entries[key]; dup {
		panic("policy: duplicate registration of " + key)
	}
	r.entries[key] = e
}

// List returns the registered policies of a kind, sorted by name.
func (r *Registry) List(k Kind) []Info {
	var out []Info
	for _, e := range r.entries {
		if e.info.Kind == k {
			out = append(out, e.info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *Registry) names(k Kind) string {
	var names []string
	for _, i := range r.List(k) {
		names = append(names, i.Name)
	}
	return strings.Join(names, ", ")
}

func (r *Registry) lookup(k Kind, spec string) (entry, param.Values, error) {
	call, err := param.Parse(spec)
	if err != nil {
		return entry{}, param.Values{}, fmt.Errorf("%s policy %w", k, err)
	}
	e, ok := r.entries[k.String()+"/"+call.Name]
	if !ok {
		return entry{}, param.Values{}, fmt.Errorf("unknown %s policy %q: known are %s (see `loadlab policies`)", k, call.Name, r.names(k))
	}
	v, err := param.Bind(call, e.info.Params)
	return e, v, err
}

// DispatchSpec is a parsed, validated dispatch strategy.
type DispatchSpec struct {
	Info      Info
	canonical string
	build     DispatchBuilder
}

// New builds a fresh instance.
func (s *DispatchSpec) New(env Env) Dispatcher { env.Node = None; return s.build(env) }

// String is the canonical spec with every parameter.
func (s *DispatchSpec) String() string { return s.canonical }

// MigrateSpec is a parsed, validated migration policy.
type MigrateSpec struct {
	Info      Info
	canonical string
	build     MigrateBuilder
}

// New builds a fresh instance for node env.Node.
func (s *MigrateSpec) New(env Env) Migrator { return s.build(env) }

// String is the canonical spec with every parameter.
func (s *MigrateSpec) String() string { return s.canonical }

// Dispatch parses and validates a dispatch spec such as "pod(d=2)".
func (r *Registry) Dispatch(spec string) (*DispatchSpec, error) {
	e, v, err := r.lookup(Dispatch, spec)
	if err != nil {
		return nil, err
	}
	b, err := e.dispatch(v)
	if err != nil {
		return nil, err
	}
	return &DispatchSpec{Info: e.info, canonical: v.Canonical(e.info.Params), build: b}, nil
}

// Migrate parses and validates a migration spec such as
// "sender.threshold(T=2, probes=3)".
func (r *Registry) Migrate(spec string) (*MigrateSpec, error) {
	e, v, err := r.lookup(Migrate, spec)
	if err != nil {
		return nil, err
	}
	b, err := e.migrate(v)
	if err != nil {
		return nil, err
	}
	return &MigrateSpec{Info: e.info, canonical: v.Canonical(e.info.Params), build: b}, nil
}

// Builtin returns a registry with every policy loadlab ships.
func Builtin() *Registry {
	r := NewRegistry()
	r.AddDispatch(randomInfo, newRandom)
	r.AddDispatch(rrInfo, newRR)
	r.AddDispatch(jsqInfo, newJSQ)
	r.AddDispatch(podGossipInfo, newPodGossip)
	r.AddDispatch(localInfo, newLocal)
	r.AddDispatch(podInfo, newPod)
	r.AddDispatch(batchInfo, newBatch)
	r.AddDispatch(lardInfo, newLard)
	r.AddDispatch(lwlInfo, newLWL)
	r.AddDispatch(jiqInfo, newJIQ)
	r.AddDispatch(classInfo, newClass)
	r.AddDispatch(leastconnInfo, newLeastconn)
	r.AddDispatch(hashInfo, newHash)
	r.AddDispatch(wrrInfo, newWRR)
	r.AddDispatch(sedInfo, newSED)
	r.AddDispatch(hybridInfo, newHybrid(r))
	r.AddDispatch(prequalInfo, newPrequal)
	r.AddDispatch(sitaInfo, newSITA)
	r.AddDispatch(nearestInfo, newNearest)
	r.AddDispatch(dnsInfo, newDNS)
	r.AddDispatch(wanInfo, newWAN)

	r.AddMigrate(noneInfo, newNone)
	r.AddMigrate(senderRandomInfo, newSenderRandom)
	r.AddMigrate(senderThresholdInfo, newSenderThreshold)
	r.AddMigrate(senderShortestInfo, newSenderShortest)
	r.AddMigrate(senderGossipInfo, newSenderGossip)
	r.AddMigrate(receiverInfo, newReceiver)
	r.AddMigrate(symmetricInfo, newSymmetric)
	r.AddMigrate(switchingInfo, newSwitching)
	r.AddMigrate(reserveInfo, newReserve)
	r.AddMigrate(aboveAverageInfo, newAboveAverage)
	r.AddMigrate(stableSymmetricInfo, newStableSymmetric)
	r.AddMigrate(stableSenderInfo, newStableSender)
	r.AddMigrate(stealInfo, newSteal)
	r.AddMigrate(ageInfo, newAge)
	r.AddMigrate(energyInfo, newEnergy)

	r.AddScale(targetInfo, newTarget)
	r.AddScale(thresholdInfo, newThreshold)

	addAdmitters(r)
	return r
}

// atLeast checks that an Int parameter is at least min.
func atLeast(p param.Values, name string, min int) error {
	if p.Int(name) < min {
		return p.Errorf(name, "must be at least %d, got %d", min, p.Int(name))
	}
	return nil
}
