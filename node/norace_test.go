//go:build !race

package node

// raceScale is 1 without the race detector (race_test.go).
const raceScale = 1
