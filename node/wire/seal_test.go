package wire

import (
	"strings"
	"testing"
)

func TestSealVerify(t *testing.T) {
	base := func() *Job {
		j := &Job{ID: 7, State: []byte("state"), Checkpoint: []byte("ckpt"), Code: []byte("code"), Resources: []byte("res"), Homes: []int32{-1, 2}}
		j.Seal()
		return j
	}
	if err := base().Verify(); err != nil {
		t.Fatalf("sealed job: %v", err)
	}
	damage := []struct {
		name string
		f    func(j *Job)
	}{
		{"state bit", func(j *Job) { j.State[0] ^= 1 }},
		{"checkpoint bit", func(j *Job) { j.Checkpoint[3] ^= 0x80 }},
		{"code bit", func(j *Job) { j.Code[1] ^= 4 }},
		{"resource bit", func(j *Job) { j.Resources[2] ^= 2 }},
		{"home", func(j *Job) { j.Homes[1] = 3 }},
		{"byte slid between segments", func(j *Job) { j.State, j.Checkpoint = []byte("statec"), []byte("kpt") }},
		{"segment dropped", func(j *Job) { j.Code = nil }},
		{"home dropped", func(j *Job) { j.Homes = j.Homes[:1] }},
		{"sum", func(j *Job) { j.Sum++ }},
	}
	for _, tc := range damage {
		t.Run(tc.name, func(t *testing.T) {
			j := base()
			tc.f(j)
			err := j.Verify()
			if err == nil || !strings.Contains(err.Error(), "job 7: checkpoint checksum") {
				t.Fatalf("Verify after damage = %v, want a checksum error naming the job", err)
			}
		})
	}
}
