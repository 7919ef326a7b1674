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
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/loadlab/loadlab/experiment"
)

func main() {
	ctx, stop := interruptible(context.Background())
	err := run(ctx, os.Args, os.Stdout, os.Stderr)
	var sig interruptError
	if errors.Is(err, context.Canceled) && !errors.As(err, &sig) && errors.As(context.Cause(ctx), &sig) {
		err = fmt.Errorf("%w: %w", err, sig) // name the signal, for the exit status
	}
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// interruptible returns a context cancelled by the first SIGINT or
// SIGTERM, with an interruptError as its cause. The signals then get their
// default action back, so a second one ends the process at once (stored
// results are safe: every record is synced as it is written).
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(interruptError{sig.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigs)
		cancel(nil)
	}
}

// interruptError is the cause of a context cancelled by a signal.
type interruptError struct{ sig syscall.Signal }

func (e interruptError) Error() string        { return e.sig.String() + " signal received" }
func (e interruptError) Is(target error) bool { return target == context.Canceled }

// Exit statuses; see `loadlab --help`.
const (
	exitFailed      = 1   // something failed
	exitBadInput    = 2   // bad input: a flag, a spec, a file
	exitInterrupted = 130 // interrupted by SIGINT (128 + 2) or a cancelled context; SIGTERM gives 143 (128 + 15)
)

// exitCode reports err and maps it to the exit status: 2 for bad input,
// 128 + the signal's number when a signal interrupted the command (130 for
// SIGINT, 143 for SIGTERM; 130 for any other cancellation), 1 for anything
// else that failed.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "loadlab:", err)
	var sig interruptError
	switch {
	case experiment.IsInput(err):
		return exitBadInput
	case errors.As(err, &sig):
		return 128 + int(sig.sig)
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailed
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
			"Start with:  loadlab sweep examples/quick.yaml\n\n" +
			"Exit status: 0 done, 1 failed, 2 bad input (a flag, a spec, a file), 130 interrupted by\n" +
			"SIGINT or 143 by SIGTERM (a sweep resumes when the same command runs again).",
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // main decides the exit status
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			if c.Command == nil || c.Command.Name == "" || c.Command.Name == c.App.Name {
				return inputErr("%v (see loadlab --help)", err)
			}
			return inputErr("%s: %v (see loadlab %s --help)", c.Command.FullName(), err, c.Command.FullName())
		},
		Flags:    []cli.Flag{&cli.BoolFlag{Name: "version", Usage: "print loadlab's version, the revision it was built from and whether that tree was modified"}},
		Commands: []*cli.Command{runCommand(), sweepCommand(), mergeCommand(), plotCommand(), capacityCommand(), exportCommand(), reportCommand(), compareCommand(), policiesCommand(), metricsCommand(), agentCommand(), clusterCommand(), calibrateCommand(), serveCommand(), versionCommand()},
		// Without a command: the version, the help, or an unknown command.
		Action: func(c *cli.Context) error {
			switch {
			case c.Bool("version"):
				printVersion(c.App.Writer)
				return nil
			case c.NArg() == 0:
				return cli.ShowAppHelp(c)
			}
			return inputErr("unknown command %q: see loadlab --help", c.Args().First())
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError // a short error, not the whole help page
	}
	if len(args) > 2 && (args[1] == "help" || args[1] == "h") && !strings.HasPrefix(args[2], "-") && app.Command(args[2]) == nil {
		return inputErr("unknown command %q: see loadlab --help", args[2])
	}
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err != nil && !experiment.IsInput(err) && isUsage(err) {
		return &experiment.InputError{Err: err}
	}
	return err
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print loadlab's version, the revision it was built from and whether that tree was modified",
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return inputErr("version: takes no arguments, got %q", c.Args().Slice())
			}
			printVersion(c.App.Writer)
			return nil
		},
	}
}

// printVersion prints the version, the module's version and the VCS
// revision from the build info ("unknown" for builds without a VCS stamp:
// go run and go build stamp with -buildvcs=true).
func printVersion(w io.Writer) {
	module := experiment.Unknown
	bi, ok := debug.ReadBuildInfo()
	if ok && bi.Main.Version != "" {
		module = bi.Main.Version
	}
	if !ok {
		bi = nil
	}
	revision, modified := experiment.BuildVCS(bi)
	fmt.Fprintf(w, "loadlab %s (module %s), commit %s, modified %s, %s\n", experiment.Version, module, revision, modified, runtime.Version())
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
