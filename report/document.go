package report

import (
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// document is what the HTML and Markdown renderers share: a title and
// sections, each with an optional paragraph, list, preformatted text,
// tables and figures, drawn in that order.
type document struct {
	title    string
	sections []section
}

type section struct {
	heading string
	text    string   // a paragraph
	items   []string // a bullet list
	pre     string   // preformatted text (the spec)
	tables  []grid
	figures []figureRef
}

// grid is a table ready to draw: text cells, some marked best.
type grid struct {
	caption string
	head    []string
	rows    [][]gridCell
}

type gridCell struct {
	text string
	best bool
}

// figureRef is an image file to embed (HTML) or link (Markdown).
type figureRef struct {
	path    string
	caption string
}

// gridOf turns a Table into a grid.
func gridOf(t *Table) grid {
	g := grid{caption: t.caption(), head: t.header()}
	for _, r := range t.Rows {
		row := []gridCell{{text: r.Policy}}
		for _, e := range r.Cells {
			row = append(row, gridCell{text: e.Text(), best: e.Best})
		}
		g.rows = append(g.rows, row)
	}
	return g
}

// css is the page's only style: plain, narrow, printable.
const css = `body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#111;line-height:1.4}
h1,h2{border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:90%}
caption{text-align:left;font-weight:bold;padding-bottom:.3em}
th,td{padding:.2em .6em;border-top:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid #444}
td.best{font-weight:bold;background:#e8f4e8}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
figure{margin:1em 0}
img{max-width:100%;height:auto}
ul.warnings li{color:#8a2b00}
@media print{body{max-width:none}table,figure,pre{page-break-inside:avoid}td.best{background:none}}`

// renderHTML writes the document as one self-contained page: figures are
// PNG data URIs, the style is inline, and nothing is fetched. The page is
// also well-formed XML, so that it parses as XHTML.
func (d *document) renderHTML() ([]byte, error) {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n<h1>%s</h1>\n", esc(d.title), css, esc(d.title))
	for _, s := range d.sections {
		fmt.Fprintf(&b, "<section>\n<h2>%s</h2>\n", esc(s.heading))
		if s.text != "" {
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(s.text))
		}
		if len(s.items) > 0 {
			class := ""
			if s.heading == warningsHeading {
				class = ` class="warnings"`
			}
			fmt.Fprintf(&b, "<ul%s>\n", class)
			for _, it := range s.items {
				fmt.Fprintf(&b, "<li>%s</li>\n", esc(it))
			}
			b.WriteString("</ul>\n")
		}
		if s.pre != "" {
			fmt.Fprintf(&b, "<pre>%s</pre>\n", esc(s.pre))
		}
		for _, g := range s.tables {
			fmt.Fprintf(&b, "<table>\n<caption>%s</caption>\n<thead><tr>", esc(g.caption))
			for _, h := range g.head {
				fmt.Fprintf(&b, "<th>%s</th>", esc(h))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for _, r := range g.rows {
				b.WriteString("<tr>")
				for j, c := range r {
					switch {
					case j == 0:
						fmt.Fprintf(&b, "<th scope=\"row\">%s</th>", esc(c.text))
					case c.best:
						fmt.Fprintf(&b, "<td class=\"best\">%s</td>", esc(c.text))
					default:
						fmt.Fprintf(&b, "<td>%s</td>", esc(c.text))
					}
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		}
		for _, f := range s.figures {
			data, err := os.ReadFile(f.path)
			if err != nil {
				return nil, fmt.Errorf("figure: %w", err)
			}
			fmt.Fprintf(&b, "<figure>\n<img src=\"data:image/png;base64,%s\" alt=\"%s\"/>\n<figcaption>%s</figcaption>\n</figure>\n",
				base64.StdEncoding.EncodeToString(data), esc(f.caption), esc(f.caption))
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String()), nil
}

// renderMarkdown writes the document as Markdown in directory dir: figures
// are image links relative to dir, best values bold.
func (d *document) renderMarkdown(dir string) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", mdText(d.title))
	for _, s := range d.sections {
		fmt.Fprintf(&b, "\n## %s\n\n", mdText(s.heading))
		if s.text != "" {
			fmt.Fprintf(&b, "%s\n\n", mdText(s.text))
		}
		for _, it := range s.items {
			fmt.Fprintf(&b, "- %s\n", mdText(it))
		}
		if len(s.items) > 0 {
			b.WriteString("\n")
		}
		if s.pre != "" {
			fence := "```"
			for strings.Contains(s.pre, fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "%syaml\n%s\n%s\n\n", fence, strings.TrimRight(s.pre, "\n"), fence)
		}
		for _, g := range s.tables {
			fmt.Fprintf(&b, "**%s**\n\n|", mdText(g.caption))
			for _, h := range g.head {
				fmt.Fprintf(&b, " %s |", mdCell(h))
			}
			b.WriteString("\n|")
			for j := range g.head {
				if j == 0 {
					b.WriteString(" --- |")
				} else {
					b.WriteString(" ---: |")
				}
			}
			b.WriteString("\n")
			for _, r := range g.rows {
				b.WriteString("|")
				for _, c := range r {
					if c.best {
						fmt.Fprintf(&b, " **%s** |", mdCell(c.text))
					} else {
						fmt.Fprintf(&b, " %s |", mdCell(c.text))
					}
				}
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
		for _, f := range s.figures {
			rel, err := relPath(dir, f.path)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "![%s](%s)\n\n", mdText(f.caption), filepath.ToSlash(rel))
		}
	}
	return []byte(b.String()), nil
}

// mdReplacer escapes the Markdown characters that could start markup in
// running text.
var mdReplacer = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `>`, `&gt;`)

func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCell escapes s for a table cell, where | ends the cell.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }

// relPath is path relative to dir, both made absolute first.
func relPath(dir, path string) (string, error) {
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ap, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.Rel(ad, ap)
}
