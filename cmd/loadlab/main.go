// Command loadlab benchmarks load-balancing and task-migration policies:
// it runs experiment points and sweeps on a backend, stores every result
// and draws response time against load.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/experiment"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err and maps it to the exit status: 2 for bad input,
// 1 for anything else that failed.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "loadlab:", err)
	if experiment.IsInput(err) {
		return 2
	}
	return 1
}

// inputErr marks err as bad input (exit status 2).
func inputErr(format string, args ...any) error {
	return &experiment.InputError{Err: fmt.Errorf(format, args...)}
}

// run is the whole program, testable: arguments in, output to the writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := &cli.App{
		Name:  "loadlab",
		Usage: "benchmark load-balancing and task-migration policies",
		Description: "Runs policies on a simulated cluster or on real agents (serf gossip, TCP), stores every\n" +
			"result crash-safe, and draws response time vs load with confidence intervals and theory curves.\n\n" +
			"Start with:  loadlab sweep examples/quick.yaml",
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // main decides the exit status
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return inputErr("%s: %v (see `loadlab %s --help`)", c.Command.FullName(), err, c.Command.FullName())
		},
		Commands: []*cli.Command{runCommand(), sweepCommand(), mergeCommand(), plotCommand(), exportCommand(), reportCommand(), compareCommand(), policiesCommand(), agentCommand(), clusterCommand(), calibrateCommand()},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(stderr, "loadlab: unknown command %q: see `loadlab --help`\n", name)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError // a short error, not the whole help page
	}
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err != nil && !experiment.IsInput(err) && isUsage(err) {
		return &experiment.InputError{Err: err}
	}
	return err
}

// isUsage recognises the flag-parsing errors urfave/cli returns without
// calling OnUsageError.
func isUsage(err error) bool {
	var ee cli.ExitCoder
	if errors.As(err, &ee) {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"flag provided but not defined", "Required flag", "invalid value", "flag needs an argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// flagsFirst moves a command's flags before its positional arguments, so
// that `loadlab sweep spec.yaml --out DIR` works: urfave/cli stops reading
// flags at the first positional argument.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		// altsrc's flags (the agent's) wrap cli's: ask the flag itself.
		tv, ok := f.(interface{ TakesValue() bool })
		for _, n := range f.Names() {
			takesValue[n] = !ok || tv.TakesValue()
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}
