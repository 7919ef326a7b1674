package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// castagnoli is CRC-32C's table: hardware-assisted on amd64 and arm64, so a
// checksum costs far less than the copy it protects.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum is the CRC-32C of j's segments, each preceded by its length so
// that bytes cannot slide from one segment into the next unnoticed, and of
// its progress and homes.
func (j *Job) checksum() uint32 {
	var b [8]byte
	c := uint32(0)
	for _, seg := range [][]byte{j.State, j.Checkpoint, j.Code, j.Resources} {
		binary.LittleEndian.PutUint64(b[:], uint64(len(seg)))
		c = crc32.Update(c, castagnoli, b[:])
		c = crc32.Update(c, castagnoli, seg)
	}
	binary.LittleEndian.PutUint64(b[:], uint64(len(j.Homes)))
	c = crc32.Update(c, castagnoli, b[:])
	for _, h := range j.Homes {
		binary.LittleEndian.PutUint32(b[:4], uint32(h))
		c = crc32.Update(c, castagnoli, b[:4])
	}
	return c
}

// Seal sets j.Sum for j's segments as they are now. The sender calls it
// after filling the segments; the receiver calls Verify before it resumes
// the unit.
func (j *Job) Seal() { j.Sum = j.checksum() }

// Verify reports whether j's segments match j.Sum, as Seal wrote it.
func (j *Job) Verify() error {
	if got := j.checksum(); got != j.Sum {
		return fmt.Errorf("job %d: checkpoint checksum %08x does not match the sender's %08x: segments damaged in transit", j.ID, got, j.Sum)
	}
	return nil
}
