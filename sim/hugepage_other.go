//go:build !linux

package sim

// hugePages is a no-op where the kernel takes no advice (hugepage_linux.go).
func hugePages[T any](s []T) {}
