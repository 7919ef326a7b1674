package pdfcanvas

import (
	"bytes"
	"compress/zlib"
	"image/color"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"
)

// pdfObject is an indirect object of a PDF: its dictionary and, for a
// stream, its data, inflated when compressed.
type pdfObject struct {
	dict   string
	stream []byte
}

var (
	objectRE = regexp.MustCompile(`(?m)^(\d+) 0 obj\s*`)
	lengthRE = regexp.MustCompile(`/Length (\d+)`)
	refRE    = func(key string) *regexp.Regexp { return regexp.MustCompile(`/` + key + `\s*\[?\s*(\d+) 0 R`) }
	tjRE     = regexp.MustCompile(`\(((?:[^\\)]|\\.)*)\) ?Tj`)
)

// parsePDF reads the indirect objects of a PDF as fpdf writes them
// (uncompressed cross-reference, direct stream lengths).
func parsePDF(t *testing.T, b []byte) map[int]pdfObject {
	t.Helper()
	objs := map[int]pdfObject{}
	for off := 0; ; {
		loc := objectRE.FindSubmatchIndex(b[off:])
		if loc == nil {
			break
		}
		n, _ := strconv.Atoi(string(b[off+loc[2] : off+loc[3]]))
		start := off + loc[1]
		end := bytes.Index(b[start:], []byte("endobj"))
		si := bytes.Index(b[start:], []byte("stream"))
		var o pdfObject
		if si >= 0 && (end < 0 || si < end) {
			o.dict = string(b[start : start+si])
			m := lengthRE.FindStringSubmatch(o.dict)
			if m == nil {
				t.Fatalf("object %d: stream without a direct /Length", n)
			}
			l, _ := strconv.Atoi(m[1])
			ds := start + si + len("stream")
			for b[ds] == '\r' || b[ds] == '\n' {
				ds++
			}
			o.stream = b[ds : ds+l]
			if strings.Contains(o.dict, "/FlateDecode") {
				zr, err := zlib.NewReader(bytes.NewReader(o.stream))
				if err != nil {
					t.Fatalf("object %d: %v", n, err)
				}
				if o.stream, err = io.ReadAll(zr); err != nil {
					t.Fatalf("object %d: %v", n, err)
				}
			}
			end = ds + l - start + bytes.Index(b[ds+l:], []byte("endobj"))
		} else {
			o.dict = string(b[start : start+end])
		}
		objs[n] = o
		off = start + end + len("endobj")
	}
	if len(objs) == 0 {
		t.Fatal("no objects in the PDF")
	}
	return objs
}

// ref returns the object that dict refers to under key.
func ref(t *testing.T, objs map[int]pdfObject, dict, key string) pdfObject {
	t.Helper()
	m := refRE(key).FindStringSubmatch(dict)
	if m == nil {
		t.Fatalf("no /%s in %q", key, dict)
	}
	n, _ := strconv.Atoi(m[1])
	o, ok := objs[n]
	if !ok {
		t.Fatalf("/%s refers to object %d, which is missing", key, n)
	}
	return o
}

// shownText returns what the page's text operators show, in order,
// decoding the strings as UTF-16 (Identity-H with Unicode code points,
// which the ToUnicode maps checked in TestFontsEmbedded declare).
func shownText(objs map[int]pdfObject) string {
	var out strings.Builder
	keys := make([]int, 0, len(objs))
	for n := range objs {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	for _, n := range keys {
		o := objs[n]
		if o.stream == nil || strings.Contains(o.dict, "/Length1") {
			continue // not a content stream (a font file)
		}
		for _, m := range tjRE.FindAllSubmatch(o.stream, -1) {
			raw := unescape(m[1])
			u := make([]uint16, len(raw)/2)
			for i := range u {
				u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
			}
			out.WriteString(string(utf16.Decode(u)))
		}
	}
	return out.String()
}

// unescape undoes the escapes of a PDF literal string.
func unescape(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'r':
				out = append(out, '\r')
			case 'n':
				out = append(out, '\n')
			default:
				out = append(out, b[i])
			}
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// render draws texts on a new canvas, each with the face of the same
// index, and returns the PDF.
func render(t *testing.T, faces []font.Face, texts []string) []byte {
	t.Helper()
	c := New(4*vg.Inch, 4*vg.Inch)
	for i, s := range texts {
		c.FillString(faces[i], vg.Point{X: 10, Y: vg.Length(10 + 12*i)}, s)
	}
	var buf bytes.Buffer
	n, err := c.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

// TestFontsEmbedded draws text with each of the twelve Liberation faces
// gonum/plot uses (serif, sans and mono; regular, bold, italic and bold
// italic) and checks, with no outside tool, that each face is embedded as
// its own TrueType font program, carries a ToUnicode map and maps every
// rune drawn to a glyph of its own, and that the page shows the text
// drawn, ρ, ×, → and ∞ included.
func TestFontsEmbedded(t *testing.T) {
	const sample = "load ρ × 2 → ∞, AV To (a\\b)"
	var (
		faces []font.Face
		texts []string
		want  = map[string]bool{}
	)
	for _, f := range liberation.Collection() {
		f.Font.Size = 9
		faces = append(faces, f)
		texts = append(texts, sample+" "+f.Name())
		name, err := f.Face.Name(nil, sfnt.NameIDPostScript)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = true
	}
	if len(want) != 12 {
		t.Fatalf("%d distinct faces in the Liberation collection, want 12", len(want))
	}
	objs := parsePDF(t, render(t, faces, texts))

	got := map[string]bool{}
	for _, o := range objs {
		if !strings.Contains(o.dict, "/Subtype /Type0") {
			continue
		}
		if !strings.Contains(o.dict, "/Encoding /Identity-H") {
			t.Errorf("font without Identity-H encoding: %q", o.dict)
		}
		cmap := ref(t, objs, o.dict, "ToUnicode")
		if !bytes.Contains(cmap.stream, []byte("beginbfrange")) {
			t.Errorf("ToUnicode map without ranges: %q", cmap.stream)
		}
		cid := ref(t, objs, o.dict, "DescendantFonts")
		desc := ref(t, objs, cid.dict, "FontDescriptor")
		file := ref(t, objs, desc.dict, "FontFile2")
		ttf, err := sfnt.Parse(file.stream)
		if err != nil {
			t.Fatalf("embedded font program: %v", err)
		}
		name, err := ttf.Name(nil, sfnt.NameIDPostScript)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = true
		gids := ref(t, objs, cid.dict, "CIDToGIDMap").stream
		for _, r := range sample {
			if r == ' ' {
				continue
			}
			if 2*int(r)+1 >= len(gids) || gids[2*r] == 0 && gids[2*r+1] == 0 {
				t.Errorf("%s: %q maps to no glyph", name, r)
			}
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("face %s not embedded", name)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d fonts embedded, want %d: %v", len(got), len(want), got)
	}
	if text, all := shownText(objs), strings.Join(texts, ""); text != all {
		t.Errorf("page shows\n%q\nwant\n%q", text, all)
	}
}

// TestFontEmbeddedOnce draws many strings in one face: the font goes in
// once.
func TestFontEmbeddedOnce(t *testing.T) {
	f := liberation.Collection()[0]
	f.Font.Size = 7
	faces := []font.Face{f, f, f}
	objs := parsePDF(t, render(t, faces, []string{"a", "b", "c"}))
	n := 0
	for _, o := range objs {
		if strings.Contains(o.dict, "/FontFile2") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d font programs, want 1", n)
	}
}

// TestKernRuns checks that text splits where the font kerns, at the
// positions gonum/plot measures.
func TestKernRuns(t *testing.T) {
	f := liberation.Collection()[0]
	f.Font.Size = 10
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"none", []string{"none"}},
		{"AV", []string{"A", "V"}},
		{"sender.threshold", []string{"sender", ".threshold"}},
		{"a\U0001F600b\xff", []string{"a\ufffdb\ufffd"}},
	} {
		runs := kernRuns(f, tc.in)
		var texts []string
		for _, r := range runs {
			texts = append(texts, r.text)
		}
		if strings.Join(texts, "|") != strings.Join(tc.want, "|") {
			t.Errorf("kernRuns(%q) = %q, want %q", tc.in, texts, tc.want)
			continue
		}
		// Each run ends where the next starts, less the kerning.
		last := runs[len(runs)-1]
		if w := f.Width(bmp(tc.in)); last.x+f.Width(last.text) != w {
			t.Errorf("%q: last run ends at %v, text is %v wide", tc.in, last.x+f.Width(last.text), w)
		}
	}
}

// TestWriteToTwice: a written canvas refuses a second write.
func TestWriteToTwice(t *testing.T) {
	c := New(vg.Inch, vg.Inch)
	c.SetColor(color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Errorf("output starts %q, want %%PDF-", buf.Bytes()[:min(10, buf.Len())])
	}
	if _, err := c.WriteTo(&buf); err == nil {
		t.Error("second WriteTo succeeded")
	}
}
