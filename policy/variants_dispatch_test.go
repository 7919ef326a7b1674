package policy_test

// dispatchVariants are dispatch specs with non-default parameters that the
// conformance test runs besides every registered strategy's defaults.
var dispatchVariants = []string{"pod(d=1)", "pod(d=9)", "jiq(dispatchers=3)"}
