package sim

import (
	"syscall"
	"unsafe"
)

// hugePages asks the kernel to back the table s with huge pages, where the
// kernel gives them on request (transparent_hugepage=madvise, the common
// default, under which Go's heap gets none). A million nodes' tables span
// hundreds of megabytes that every event touches at random, so with 4 KiB
// pages nearly every touch also misses the TLB. Call it on a table just
// made, before it is written. Small tables and failures are ignored: the
// advice changes speed, never results.
func hugePages[T any](s []T) {
	const page = 2 << 20
	n := uintptr(cap(s)) * unsafe.Sizeof(*new(T))
	if n < 4*page {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(s))
	start := uintptr(p)
	lo := (start + page - 1) &^ (page - 1) // the whole huge pages inside
	hi := (start + n) &^ (page - 1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, lo-start)), hi-lo), syscall.MADV_HUGEPAGE)
}
