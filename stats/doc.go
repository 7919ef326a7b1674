// Package stats turns stored results into estimates: the replications of
// a point grouped into cells (Summarize), each metric defined once in a
// registry (Metrics) and estimated with its 95% confidence interval,
// paired and Welch comparisons, the warm-up and precision rules, quantile
// intervals, the queueing-theory curves results are held to, and the Go
// benchmark format for benchstat. It draws nothing: figures are in
// package analysis, which links gonum/plot; stats needs only gonum's
// statistics.
package stats
