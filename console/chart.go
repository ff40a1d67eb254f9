package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// series is one line of a trend chart.
type series struct {
	Name   string
	Class  string // CSS class giving the line its colour
	Values []int
}

// trendChart is a small multi-line chart over time, drawn on the server as
// SVG so that it needs no script and reads the same in every browser. The
// same numbers are rendered as a table beside it for screen readers.
type trendChart struct {
	ID     string
	Title  string
	Times  []time.Time // oldest first, one per value of every series
	Series []series
}

const (
	chartW, chartH = 640, 200
	padL, padR     = 44, 12
	padT, padB     = 12, 28
)

// SVG draws the chart. Every value it writes is a number or escaped text.
func (c trendChart) SVG() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title">`, esc(c.ID), chartW, chartH, esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, esc(c.ID), esc(c.Title))
	if len(c.Times) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">No posture snapshots yet: run warden govern evaluate</text></svg>`, padL, chartH/2)
		return template.HTML(b.String())
	}
	max := 1
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > max {
				max = v
			}
		}
	}
	top := niceCeil(max)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(i int) float64 {
		if len(c.Times) == 1 {
			return float64(padL) + plotW/2
		}
		return float64(padL) + plotW*float64(i)/float64(len(c.Times)-1)
	}
	y := func(v int) float64 { return float64(padT) + plotH*(1-float64(v)/float64(top)) }
	// Grid lines and their labels: 0, half and top.
	for _, v := range []int{0, top / 2, top} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, padL-6, y(v)+4, v)
	}
	first, last := c.Times[0], c.Times[len(c.Times)-1]
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">%s</text>`, padL, chartH-8, esc(first.UTC().Format("Jan 2 15:04")))
	if len(c.Times) > 1 {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, chartW-padR, chartH-8, esc(last.UTC().Format("Jan 2 15:04")))
	}
	for _, s := range c.Series {
		var pts strings.Builder
		for i, v := range s.Values {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(v))
		}
		fmt.Fprintf(&b, `<polyline class="line %s" points="%s"><title>%s</title></polyline>`, esc(s.Class), strings.TrimSpace(pts.String()), esc(s.Name))
		if n := len(s.Values); n > 0 {
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%.1f" cy="%.1f" r="3"/>`, esc(s.Class), x(n-1), y(s.Values[n-1]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, for axis labels.
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if v := int(m * p); v >= n {
			return v
		}
	}
	return n
}
