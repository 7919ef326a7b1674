package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/loadlab/loadlab/analysis"
)

// The page tables.tex is laid out for: a 10 pt two-column article on A4,
// the narrowest of the usual formats (on letter paper the column is
// 229.5 pt and the text 469 pt; IEEE and ACM columns are wider still).
// Widths are estimated from Computer Modern's metrics at 8 pt.
const (
	texColumnWidth = 221.0 // \columnwidth, pt
	texTextWidth   = 452.0 // \textwidth, pt, which a table* spans
	texColSep      = 3.0   // \tabcolsep set in every table, pt
	texFontSize    = 8.0   // pt, the size of texFont (\footnotesize in a 10 pt document)
	texLabelShare  = 0.4   // row labels wider than this share of the width wrap
	texMargin      = 1.03  // the estimate's allowance for what it does not model
)

// texFont sets the tables' type: 8 pt on 9.5 pt, whatever the document's
// size, so that the widths estimated here hold in 11 and 12 pt documents.
const texFont = `\fontsize{8}{9.5}\selectfont`

// WriteLaTeX writes each table as a booktabs tabular in a table float
// that fits \columnwidth: 8 pt type, values aligned on the decimal
// point and the ±, the orientation (policies or loads as rows) that needs
// fewer lines, and columns split into blocks stacked in the same tabular
// when they are too many for the width. A table whose single column does
// not fit becomes a table* across \textwidth. Best values are bold. The
// document needs \usepackage{booktabs}.
func WriteLaTeX(w io.Writer, tables []*Table) error {
	ew := &errWriter{w: w}
	ew.printf("%% Tables written by loadlab report. Needs \\usepackage{booktabs}.\n")
	ew.printf("%% Each fits \\columnwidth of a 10 pt two-column article (table* across \\textwidth when it cannot).\n")
	for _, t := range tables {
		caption := texCaption(t.caption() + ". " + bestLegend)
		layoutOf(t).write(ew, caption, "tab:"+texLabel(t.Workload+"-"+t.Name))
	}
	return ew.err
}

// bestLegend is bestRule in a caption's words.
const bestLegend = "Bold: lowest at its load and significantly below every other policy there (paired or Welch t test, α = 0.05)"

// texGrid is a table as LaTeX draws it: a column of row labels, then value
// columns, each drawn as three tabular columns (integer part, decimals,
// ± half-width) so that decimal points and ± signs line up.
type texGrid struct {
	corner string      // header of the label column
	labels []string    // one per row
	heads  []string    // one per value column
	cells  [][]texCell // [row][column]
}

// texCell is one value split for alignment, in plain text.
type texCell struct {
	missing           bool
	whole, frac, half string // "1", ".430", "0.012"; half is "" without an interval
	best              bool
}

func texCellOf(e Entry) texCell {
	if e.Missing {
		return texCell{missing: true}
	}
	var v, h string
	if math.IsNaN(e.Half) {
		v = num(e.Value)
	} else {
		v, h = rounded(e.Value, e.Half)
	}
	c := texCell{whole: v, half: h, best: e.Best}
	if i := strings.IndexByte(v, '.'); i >= 0 {
		c.whole, c.frac = v[:i], v[i:]
	}
	c.whole = strings.Replace(c.whole, "-", "−", 1) // a minus sign, not a hyphen
	return c
}

// byPolicy is the table as it is: policies as rows, loads as columns.
func (t *Table) byPolicy() texGrid {
	g := texGrid{corner: "policy"}
	for j := range t.Loads {
		g.heads = append(g.heads, t.columnTitle(j))
	}
	for _, r := range t.Rows {
		g.labels = append(g.labels, r.Policy)
		var row []texCell
		for _, e := range r.Cells {
			row = append(row, texCellOf(e))
		}
		g.cells = append(g.cells, row)
	}
	return g
}

// byLoad is the table transposed: loads (or axis values, or both) as
// rows, policies as columns.
func (t *Table) byLoad() texGrid {
	g := texGrid{corner: "ρ"}
	switch {
	case t.Axis == "":
	case t.singleLoad():
		g.corner = t.Axis
	default:
		g.corner = "ρ, " + t.Axis
	}
	for _, r := range t.Rows {
		g.heads = append(g.heads, r.Policy)
	}
	for j, l := range t.Loads {
		label := formatFloat(l)
		switch {
		case t.Axis == "":
		case t.singleLoad():
			label = formatFloat(t.Xs[j])
		default:
			label += ", " + formatFloat(t.Xs[j])
		}
		g.labels = append(g.labels, label)
		var row []texCell
		for _, r := range t.Rows {
			row = append(row, texCellOf(r.Cells[j]))
		}
		g.cells = append(g.cells, row)
	}
	return g
}

// texLayout is a grid fitted to a width: its value columns in blocks of
// at most perBlock, stacked in one tabular, each block with its header;
// row labels wrapped to labelWidth when wrap is set.
type texLayout struct {
	grid       texGrid
	perBlock   int
	wrap       bool
	labelWidth float64 // pt
	height     float64 // of the tabular, estimated (pt)
	wide       bool    // a table* across both columns
}

// texMaxHeight is the tallest tabular a float holds with its caption on
// the shorter page (letter: \textheight is 550 pt).
const texMaxHeight = 450.0

// layoutOf picks the layout of t: within \columnwidth if either
// orientation fits there, width and height, else across \textwidth; of
// the layouts that fit, the shortest, policies as rows on a tie.
func layoutOf(t *Table) texLayout {
	grids := []texGrid{t.byPolicy(), t.byLoad()}
	var shortest texLayout
	for _, wide := range []bool{false, true} {
		width := texColumnWidth
		if wide {
			width = texTextWidth
		}
		var best texLayout
		for _, g := range grids {
			l, ok := g.fit(width)
			l.wide = wide
			if !ok {
				continue
			}
			if best.perBlock == 0 || l.height < best.height {
				best = l
			}
			if shortest.perBlock == 0 || l.height < shortest.height {
				shortest = l
			}
		}
		if best.perBlock > 0 && best.height <= texMaxHeight {
			return best
		}
	}
	if shortest.perBlock > 0 {
		return shortest // too tall for a page: LaTeX will say so
	}
	// Not even one column fits beside wrapped labels: the narrowest
	// layout there is, and LaTeX will say by how much it is too wide.
	return texLayout{grid: grids[0], perBlock: 1, wrap: true, labelWidth: texLabelShare * texTextWidth, wide: true}
}

// fit lays g out within width (pt): labels wrap when they are wider than
// texLabelShare of it, and the value columns go in as few blocks as can
// be, each as narrow as that number of blocks allows. It reports false
// when not even one value column fits beside the labels.
func (g texGrid) fit(width float64) (texLayout, bool) {
	l := texLayout{grid: g}
	label := texTextLen(g.corner, false)
	for _, s := range g.labels {
		label = max(label, texTextLen(s, false))
	}
	if limit := texLabelShare * width; label > limit {
		label, l.wrap = limit, true
		for _, s := range g.labels {
			for _, piece := range breakPieces(s) {
				label = max(label, texTextLen(piece, false))
			}
		}
		l.labelWidth = label
	}
	n := len(g.heads)
	groups := make([]float64, n)
	for j := range groups {
		groups[j] = g.columnWidth(j)
	}
	// With k columns a block, column position p holds columns p, p+k, …:
	// its width is the widest of them.
	blockWidth := func(k int) float64 {
		w := label + 2*texColSep
		for p := 0; p < k; p++ {
			widest := 0.0
			for j := p; j < n; j += k {
				widest = max(widest, groups[j])
			}
			w += widest
		}
		return w
	}
	for k := n; k >= 1; k-- {
		if blockWidth(k) > width {
			continue
		}
		blocks := (n + k - 1) / k
		l.perBlock = k
		if even := (n + blocks - 1) / blocks; blockWidth(even) <= width {
			l.perBlock = even
		}
		// Each block: its header, its rows (a wrapped label may take
		// several lines) and two rules; and the rules at top and bottom.
		lines := 0
		for _, s := range g.labels {
			lines += l.labelLines(s)
		}
		l.height = float64(blocks)*(float64(1+lines)*texLineHeight+2*texRuleHeight) + texRuleHeight
		return l, true
	}
	return l, false
}

// Heights of a tabular's parts in texFont (pt): a row, and a
// booktabs rule with the space around it.
const (
	texLineHeight = 9.5
	texRuleHeight = 5.0
)

// labelLines estimates the lines label s takes in the layout's label
// column: one, or as many as filling them piece by piece needs.
func (l texLayout) labelLines(s string) int {
	if !l.wrap {
		return 1
	}
	lines, used := 1, 0.0
	for _, piece := range breakPieces(s) {
		w := texTextLen(piece, false)
		if used > 0 && used+w > l.labelWidth {
			lines, used = lines+1, 0
		}
		used += w
	}
	return lines
}

// breakPieces splits s after each character where a wrapped label may
// break (isBreak), keeping that character.
func breakPieces(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if isBreak(r) {
			out = append(out, s[start:i+len(string(r))])
			start = i + len(string(r))
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// columnWidth estimates the width of value column j (pt), its three parts
// and the column gaps around them; or of its header, when that is wider.
func (g texGrid) columnWidth(j int) float64 {
	var whole, frac, half float64
	for _, row := range g.cells {
		c := row[j]
		if c.missing {
			continue
		}
		whole = max(whole, texTextLen(c.whole, c.best))
		frac = max(frac, texTextLen(c.frac, c.best))
		if c.half != "" {
			half = max(half, texPMLen+texTextLen(c.half, c.best))
		}
	}
	return max(whole+frac+half, texTextLen(g.heads[j], false), texTextLen("--", false)) + 2*texColSep
}

// write writes the layout as a float with caption and label (LaTeX).
func (l texLayout) write(ew *errWriter, caption, label string) {
	g := l.grid
	env := "table"
	if l.wide {
		env = "table*"
	}
	ew.printf("\n\\begin{%s}[htbp]\n\\centering\n\\caption{%s}\n\\label{%s}\n%s\n\\setlength{\\tabcolsep}{%gpt}\n",
		env, caption, label, texFont, texColSep)
	labelCol := "l"
	if l.wrap {
		labelCol = fmt.Sprintf("p{%.1fpt}", l.labelWidth)
	}
	ew.printf("\\begin{tabular}{%s%s}\n\\toprule\n", labelCol, strings.Repeat("r@{}l@{}l", l.perBlock))
	for first := 0; first < len(g.heads); first += l.perBlock {
		last := min(first+l.perBlock, len(g.heads))
		if first > 0 {
			ew.printf("\\midrule[\\heavyrulewidth]\n")
		}
		head := []string{texEscape(g.corner)}
		for _, h := range g.heads[first:last] {
			head = append(head, `\multicolumn{3}{c}{`+texEscape(h)+`}`)
		}
		ew.printf("%s \\\\\n\\midrule\n", strings.Join(head, " & "))
		for i, rowLabel := range g.labels {
			row := []string{texEscape(rowLabel)}
			if l.wrap {
				row[0] = `\raggedright ` + texBreakable(row[0])
			}
			for _, c := range g.cells[i][first:last] {
				row = append(row, c.tex())
			}
			ew.printf("%s \\\\\n", strings.Join(row, " & "))
		}
	}
	ew.printf("\\bottomrule\n\\end{tabular}\n\\end{%s}\n", env)
}

// tex is the cell's three tabular cells, joined by " & ".
func (c texCell) tex() string {
	if c.missing {
		return `\multicolumn{3}{c}{--}`
	}
	bold := func(s string) string {
		if s == "" || !c.best {
			return texEscape(s)
		}
		return `\textbf{` + texEscape(s) + `}`
	}
	half := ""
	if c.half != "" {
		half = `\,$\pm$\,` + bold(c.half)
	}
	return bold(c.whole) + " & " + bold(c.frac) + " & " + half
}

// texPMLen is the width of "\,$\pm$\," (pt).
const texPMLen = (2*0.167 + 0.826) * texFontSize

// isBreak reports the characters after which a wrapped label may break.
func isBreak(r rune) bool { return strings.ContainsRune(" .,;(=_/", r) }

// texBreakable lets LaTeX break escaped text after the characters of
// isBreak, so that a long policy name wraps in its column.
func texBreakable(s string) string {
	return strings.NewReplacer(".", `.\hspace{0pt}`, ",", `,\hspace{0pt}`, ";", `;\hspace{0pt}`, "(", `(\hspace{0pt}`,
		"=", `=\hspace{0pt}`, `\_`, `\_\hspace{0pt}`, "/", `/\hspace{0pt}`).Replace(s)
}

// texCaption escapes a caption and lets LaTeX break it after the '/' and
// '_' of paths and names, which would otherwise stick out of the column.
func texCaption(s string) string {
	return strings.NewReplacer("/", `/\hspace{0pt}`, `\_`, `\_\hspace{0pt}`).Replace(texEscape(s))
}

// texTextLen estimates the width (pt) of plain text s as LaTeX sets it
// escaped in texFont, from the character widths of cmr8 (cmbx8 is
// about 16% wider).
func texTextLen(s string, bold bool) float64 {
	em := 0.0
	for _, r := range s {
		w, ok := cmr8[r]
		switch {
		case ok:
		case r >= '0' && r <= '9':
			w = 0.531
		case r >= 'A' && r <= 'Z':
			w = 0.85
		default:
			w = 0.9 // symbols, ρ, ±, −, and what the table does not know
		}
		em += w
	}
	if bold {
		em *= 1.16
	}
	return em * texFontSize * texMargin
}

// cmr8 holds character widths of cmr8 (em), from its TFM file, for the
// lower-case letters and the punctuation loadlab's labels use; escaped
// characters have the width of what LaTeX draws for them.
var cmr8 = map[rune]float64{
	'a': 0.531, 'b': 0.59, 'c': 0.472, 'd': 0.59, 'e': 0.472, 'f': 0.325, 'g': 0.531, 'h': 0.59, 'i': 0.295,
	'j': 0.325, 'k': 0.561, 'l': 0.295, 'm': 0.885, 'n': 0.59, 'o': 0.531, 'p': 0.59, 'q': 0.561, 'r': 0.414,
	's': 0.419, 't': 0.413, 'u': 0.59, 'v': 0.561, 'w': 0.767, 'x': 0.561, 'y': 0.561, 'z': 0.472,
	' ': 0.354, '.': 0.295, ',': 0.295, ':': 0.295, ';': 0.295, '!': 0.295, '\'': 0.295, '(': 0.413, ')': 0.413,
	'[': 0.295, ']': 0.295, '-': 0.354, '=': 0.826, '+': 0.826, '*': 0.531, '/': 0.531, '?': 0.502,
	'#': 0.885, '%': 0.885, '&': 0.826, '$': 0.531, '@': 0.826, '_': 0.45, '|': 0.295, '<': 0.826, '>': 0.826,
	'{': 0.531, '}': 0.531, '\\': 0.531, '^': 0.531, '~': 0.531, '"': 0.531,
}

// writeTabular writes one booktabs table of escaped cells in texFont
// across both columns (table*): a comparison's seven columns are too many
// for one. Rows that would make the float taller than a page go on in
// further floats, numbered as the first and captioned "(continued)".
func writeTabular(ew *errWriter, caption, label string, head []string, rows [][]string) {
	perFloat := int(math.Floor((texMaxHeight-3*texRuleHeight)/texLineHeight)) - 1 // rows besides the header
	floats := max(1, (len(rows)+perFloat-1)/perFloat)
	perFloat = (len(rows) + floats - 1) / floats
	for f := 0; f < floats; f++ {
		part := rows[min(f*perFloat, len(rows)):min((f+1)*perFloat, len(rows))]
		ew.printf("\n\\begin{table*}[htbp]\n\\centering\n")
		if f == 0 {
			ew.printf("\\caption{%s}\n\\label{%s}\n", texCaption(caption), label)
		} else {
			ew.printf("\\addtocounter{table}{-1}\n\\caption[]{%s (continued)}\n", texCaption(caption))
		}
		ew.printf("%s\n\\setlength{\\tabcolsep}{%gpt}\n", texFont, texColSep)
		ew.printf("\\begin{tabular}{l%s}\n\\toprule\n", strings.Repeat("r", len(head)-1))
		ew.printf("%s \\\\\n\\midrule\n", strings.Join(head, " & "))
		for _, r := range part {
			ew.printf("%s \\\\\n", strings.Join(r, " & "))
		}
		ew.printf("\\bottomrule\n\\end{tabular}\n\\end{table*}\n")
	}
}

// texEscape makes s safe in LaTeX text.
func texEscape(s string) string { return analysis.TeXText(s) }

// texLabel reduces s to characters safe in \label.
func texLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, s)
}
