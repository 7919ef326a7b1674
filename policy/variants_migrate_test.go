package policy_test

// migrateVariants are migration specs with non-default parameters that the
// conformance test runs besides every registered policy's defaults.
var migrateVariants = []string{"sender.threshold(T=1, probes=9)", "sender.shortest(T=3, probes=1)",
	"receiver.threshold(T=2, probes=2, retry=0.5)", "symmetric(T=1, probes=6)"}
