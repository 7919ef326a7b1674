# loadlab: the README's two commands are `make demo` and `make test`.
GO ?= go
# Stamp the build with its commit and whether the tree was modified, so
# records say which code produced them (go run stamps only when asked).
VCS := $(if $(shell command -v git 2>/dev/null),-buildvcs=true,)

.PHONY: demo demo-local test test-short bench build vet

# The embedded default: a small sweep that writes figures to out/quick/figures.
demo:
	$(GO) run $(VCS) ./cmd/loadlab sweep examples/quick.yaml

# The simulator and real agents on the same points (8 agents on 127.0.0.1,
# calibrated): figures in out/local/figures, about 90 s.
demo-local:
	$(GO) run $(VCS) ./cmd/loadlab sweep examples/local.yaml

# Everything CI runs: vet, then every test (theory agreement and real
# clusters on 127.0.0.1 included). One package at a time: the real-agent
# tests measure time and must not share the 2 cores with the CPU-heavy
# simulator runs.
test: vet
	$(GO) test -count=1 -p 1 ./...

# The real-agent suite under the race detector (about 12 minutes): the
# coordinator, agents, gossip and wire code, and the command that runs them.
# One package at a time, as in test: the tests measure time.
.PHONY: race
race:
	$(GO) test -race -p 1 -timeout 40m ./node/... ./cmd/loadlab

# Unit tests only: skips the long theory runs and process-kill tests.
test-short:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

# Hot-path benchmarks; results are recorded in docs/BENCHMARKS.md.
bench:
	$(GO) test ./sim -run '^$$' -bench . -benchtime 5000000x
	$(GO) test ./workload -run '^$$' -bench . -benchmem

build:
	$(GO) build $(VCS) -o loadlab ./cmd/loadlab

# The soak test (docs/testing.md): 16 local agents at 80% load for SOAK
# (default 10m) of arrivals; no job lost, memory flat. Not part of `test`.
SOAK ?= 10m
.PHONY: soak
soak:
	LOADLAB_SOAK=1 LOADLAB_SOAK_DURATION=$(SOAK) $(GO) test ./node -run '^TestSoak$$' -count=1 -v -timeout 60m
