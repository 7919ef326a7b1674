//go:build !race

package executor

// raceScale is 1 without the race detector (race_test.go).
const raceScale = 1
