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

# Instructions per simulated job for each simulator benchmark, counted by
# valgrind's cachegrind (Debian: valgrind): exact and repeatable where timing
# varies by several percent (docs/BENCHMARKS.md). The count is the slope
# between 100,000 and 300,000 jobs, which leaves out the start-up; a run
# that valgrind cuts short (far fewer instructions) is run again.
COUNT_BENCH ?= Random100 Pod2x100 JIQ100 SenderThreshold100 Receiver100 Pod2x1000Latency
.PHONY: bench-count
bench-count:
	@command -v valgrind >/dev/null || { echo "bench-count needs valgrind (apt-get install valgrind)"; exit 1; }
	@mkdir -p out && $(GO) test -c -o out/sim.test ./sim
	@for b in $(COUNT_BENCH); do \
	  for n in 100000 300000; do \
	    for try in 1 2 3 4 5; do \
	      ir=$$(GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
	        out/sim.test -test.run '^$$' -test.bench "^Benchmark$$b\$$" -test.benchtime $${n}x 2>&1 | awk '/I *refs/ {gsub(",", "", $$4); print $$4}'); \
	      [ "$${ir:-0}" -gt $$((n * 500)) ] && break; \
	    done; \
	    eval "ir$$n=$${ir:-0}"; \
	  done; \
	  echo "$$b $$(( (ir300000 - ir100000) / 200000 )) instructions/job"; \
	done

build:
	$(GO) build $(VCS) -o loadlab ./cmd/loadlab

# The soak test (docs/testing.md): 16 local agents at 80% load for SOAK
# (default 10m) of arrivals; no job lost, memory flat. Not part of `test`.
SOAK ?= 10m
.PHONY: soak
soak:
	LOADLAB_SOAK=1 LOADLAB_SOAK_DURATION=$(SOAK) $(GO) test ./node -run '^TestSoak$$' -count=1 -v -timeout 60m
