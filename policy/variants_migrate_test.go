package policy_test

// migrateVariants are migration specs with non-default parameters that the
// conformance test runs besides every registered policy's defaults.
var migrateVariants = []string{"sender.threshold(T=1, probes=9)", "sender.shortest(T=3, probes=1)",
	"sender.shortest(T=2, probes=4, stop=first-idle)", "sender.shortest(T=1, probes=9, stop=first-idle)",
	"receiver.threshold(T=1, probes=4, pick=heaviest)", "receiver.threshold(T=2, probes=9, retry=0.5, select=oldest, pick=heaviest)",
	"switching(T=2, probes=2, L=0.5, band=0, window=1)", "switching(T=1, probes=9, L=1, band=0.9, window=50)", "switching(T=1, probes=1, L=0.3, band=0.2, window=2)",
	"receiver.threshold(T=2, probes=2, retry=0.5)", "symmetric(T=1, probes=6)",
	"receiver.threshold(T=2, probes=2, select=oldest)", "symmetric(T=2, probes=1, select=oldest)",
	"receiver.reserve(T=2, probes=1)", "receiver.reserve(T=1, probes=9)",
	"above.average(range=0, timeout=0.5)", "above.average(range=1.5, timeout=3)",
	"stable.symmetric(LT=1, UT=3, polls=1)", "stable.symmetric(LT=2, UT=2, polls=9)",
	"stable.sender(LT=2, UT=3, polls=2)",
	"steal(probes=1, retry=0.5)", "steal(probes=9, retry=2)",
	"age(cost=0.2, period=0.5, probes=2, preemptive=1)", "age(cost=0, period=2, probes=9, preemptive=0)"}
