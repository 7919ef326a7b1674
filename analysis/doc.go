// Package analysis draws a sweep's figures (gonum/plot; PDF through
// analysis/pdfcanvas) from the cells and metrics of package stats:
// response time, percentiles and overheads against load or any other
// axis, with their 95% intervals and theory curves, CDFs, utilisation
// spread, faults over time and the costs of code migration.
package analysis
