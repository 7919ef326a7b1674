package executor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loadlab/loadlab/node/executor"
)

func Example() {
	e, err := executor.New(executor.Config{Servers: 1, TimeUnit: time.Millisecond})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	u := &executor.Unit{ID: 7, Size: 2, Done: func(u *executor.Unit, start, end time.Time) {
		fmt.Printf("unit %d done: progress %g, ran ≥ 2ms: %v\n", u.ID, u.Progress, end.Sub(start) >= 2*time.Millisecond)
		close(done)
	}}
	if err := e.Submit(u); err != nil {
		panic(err)
	}
	<-done
	fmt.Println("left over:", len(e.Close(context.Background())))
	// Output:
	// unit 7 done: progress 2, ran ≥ 2ms: true
	// left over: 0
}
