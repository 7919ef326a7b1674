package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loadlab/loadlab/internal/browsertest"
)

// browserSpec is 3 policies × 3 loads × 2 replications on the simulator,
// with gossip and bytes per transfer, so that the page holds every kind of
// figure a simulator sweep without units can have: response, p99,
// normalised, overhead with bytes, utilisation spread, gossip staleness
// and CDF.
const browserSpec = `name: browser
seed: 11
replications: 2
jobs: 3000
warmup: 300
nodes: 8
gossip: 0.5
loads: [0.5, 0.7, 0.9]
costs:
  job_bytes: 100000
  bandwidth: 1e7
policies:
  - name: random
    dispatch: random
  - name: jsq (gossip)
    dispatch: jsq
  - name: sender.threshold
    migrate: sender.threshold(T=1, probes=3)
`

// pageImage is what the browser says of one <img>.
type pageImage struct {
	Alt          string `json:"alt"`
	Complete     bool   `json:"complete"`
	NaturalWidth int    `json:"naturalWidth"`
}

// pageVisit is what a page did in the browser: its images once loaded and
// the problems it reported (console errors, uncaught exceptions, error log
// entries such as a resource that failed to load, failed requests).
type pageVisit struct {
	images   []pageImage
	problems []string
}

// brokenImages lists the images that did not load (not complete, or no
// width: an image that failed to decode).
func (v pageVisit) brokenImages() []string {
	var out []string
	for _, im := range v.images {
		if !im.Complete || im.NaturalWidth <= 0 {
			out = append(out, fmt.Sprintf("%q (complete %v, naturalWidth %d)", im.Alt, im.Complete, im.NaturalWidth))
		}
	}
	return out
}

// imagesJS lists the page's images with what the test asserts of them.
const imagesJS = `Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, naturalWidth: i.naturalWidth}))`

// visit opens the file at path in a new tab of the browser of ctx, waits
// for its load event (which waits for every image), and returns what it
// did.
func visit(ctx context.Context, path string) (pageVisit, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return pageVisit{}, err
	}
	l := &browsertest.Problems{}
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithListener(l.Listen))
	defer cancel()
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	if err := chromedp.Do(tab, chromedp.Navigate(page)); err != nil {
		return pageVisit{}, fmt.Errorf("open %s: %w", page, err)
	}
	images, err := chromedp.Run(tab, chromedp.Evaluate[[]pageImage](imagesJS))
	if err != nil {
		return pageVisit{}, fmt.Errorf("list images of %s: %w", page, err)
	}
	return pageVisit{images: images, problems: l.List()}, nil
}

// TestReportInBrowser runs a small simulator sweep, writes its report and
// opens report.html in headless Chromium: the page must load with no
// console error, uncaught exception or failed request, and every figure
// must be an image that loaded (complete, with a natural width). A page
// with such faults must be caught by the same check, so that the test
// cannot pass by seeing nothing.
func TestReportInBrowser(t *testing.T) {
	exe := browsertest.Find(t)
	dir := sweep(t, "browser", browserSpec)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Write(s, out); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	_, srcs, _ := parsePage(t, page)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	browser := browsertest.Start(ctx, t, exe)

	t.Run("report", func(t *testing.T) {
		v, err := visit(browser, filepath.Join(out, HTMLFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range v.problems {
			t.Errorf("report.html: %s", p)
		}
		for _, b := range v.brokenImages() {
			t.Errorf("report.html: image %s did not load", b)
		}
		if len(v.images) != len(srcs) || len(v.images) == 0 {
			t.Errorf("the browser sees %d images, the page has %d", len(v.images), len(srcs))
		}
		alts := map[string]bool{}
		for _, im := range v.images {
			alts[im.Alt] = true
		}
		for _, kind := range []string{"response", "p99", "normalized", "overhead", "utilization", "gossip", "cdf"} {
			if c := figureCaption(kind); !alts[c] {
				t.Errorf("report.html has no figure %q (%s)", kind, c)
			}
		}
	})

	t.Run("faults are caught", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.html")
		html := `<!DOCTYPE html><html><head><title>bad</title></head><body>
<img alt="not a png" src="data:image/png;base64,AAAA"/>
<img alt="missing" src="missing.png"/>
<script>console.error("boom"); throw new Error("uncaught");</script>
</body></html>`
		if err := os.WriteFile(bad, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := visit(browser, bad)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(v.brokenImages()); got != 2 {
			t.Errorf("%d broken images found, want 2: %v", got, v.brokenImages())
		}
		all := strings.Join(v.problems, "\n")
		for _, want := range []string{"console.error: boom", "uncaught exception", "request failed", "missing.png"} {
			if !strings.Contains(all, want) {
				t.Errorf("problems found:\n%s\nwant one with %q", all, want)
			}
		}
	})
}
