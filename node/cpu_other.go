//go:build !unix

package node

// processCPU is not measured on this platform.
func processCPU() float64 { return 0 }
