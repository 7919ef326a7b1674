// Package browsertest drives a headless Chromium from tests: it finds the
// browser, starts it for these closed machines, and records what a page
// should not do (console errors, uncaught exceptions, failed requests).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Names are the executables tried, in order, for a headless Chromium or
// Chrome.
var Names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"}

// Find returns the path of a Chromium or Chrome executable. Without one
// the test is skipped, except when the environment variable CI is set:
// there it fails, so that CI cannot pass by skipping the check.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range Names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no headless browser found (looked for %s in PATH); install one with apt-get install chromium",
		strings.Join(Names, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip(msg)
	return ""
}

// Start starts the browser exe under ctx with a fresh profile and returns
// a context for its first tab; the browser ends with the test. No sandbox:
// the pages are our own, and the sandbox needs user namespaces that
// containers (and root) often do not have. Networking the browser would
// do by itself (QUIC, updates, sync) is off: these machines have no route
// out, and waiting for it stalls the start.
func Start(ctx context.Context, t testing.TB, exe string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true))...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("start %s: %v", exe, err)
	}
	return browser
}

// Problems collects, from the DevTools events of one tab, everything a
// page should not do. Listen is its chromedp listener.
type Problems struct {
	mu    sync.Mutex
	urls  map[network.RequestID]string
	found []string
}

func (l *Problems) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.found = append(l.found, fmt.Sprintf(format, args...))
}

// List returns the problems seen so far.
func (l *Problems) List() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.found...)
}

// Listen is a chromedp listener (chromedp.WithListener): it runs on the
// tab's reader goroutine and only records. A request the page itself
// cancelled (an image replaced before it loaded) is not a failure.
func (l *Problems) Listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			l.add("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		l.add("uncaught exception at line %d: %s", d.LineNumber+1, text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			l.add("%s error: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		l.mu.Lock()
		if l.urls == nil {
			l.urls = map[network.RequestID]string{}
		}
		l.urls[ev.RequestID] = ev.Request.URL
		l.mu.Unlock()
	case *network.EventLoadingFailed:
		if ev.Canceled {
			return
		}
		l.mu.Lock()
		u := l.urls[ev.RequestID]
		l.mu.Unlock()
		l.add("request failed: %s %.80s", ev.ErrorText, u)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			l.add("request failed: HTTP %d %.80s", ev.Response.Status, ev.Response.URL)
		}
	}
}
