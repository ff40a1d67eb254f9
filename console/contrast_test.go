package console

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// WCAG 2.x relative luminance and contrast ratio of two #rrggbb colours.
func luminance(hex string) float64 {
	channel := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(hex[1:3]) + 0.7152*channel(hex[3:5]) + 0.0722*channel(hex[5:7])
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// expandHex turns #rgb into #rrggbb.
func expandHex(c string) string {
	if len(c) == 4 {
		return "#" + strings.Repeat(c[1:2], 2) + strings.Repeat(c[2:3], 2) + strings.Repeat(c[3:4], 2)
	}
	return c
}

// Every rule of the stylesheet that sets both a text colour and a
// background keeps a contrast ratio of at least 4.5:1 (WCAG AA for body
// text), colours given directly or through the :root custom properties.
func TestStylesheet_TextContrastIsAtLeastAA(t *testing.T) {
	css, err := staticFS.ReadFile("static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	src := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(css), "")
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(--[a-z0-9]+):\s*(#[0-9a-fA-F]{3,6})\b`).FindAllStringSubmatch(src, -1) {
		vars[m[1]] = expandHex(m[2])
	}
	resolve := func(v string) string {
		v = strings.TrimSpace(v)
		if m := regexp.MustCompile(`^var\((--[a-z0-9]+)\)$`).FindStringSubmatch(v); m != nil {
			return vars[m[1]]
		}
		if regexp.MustCompile(`^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`).MatchString(v) {
			return expandHex(v)
		}
		return ""
	}
	checked := 0
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(src, -1) {
		selector, decls := strings.TrimSpace(m[1]), m[2]
		var fg, bg string
		for _, d := range strings.Split(decls, ";") {
			name, value, ok := strings.Cut(d, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(name) {
			case "color":
				fg = resolve(value)
			case "background", "background-color":
				bg = resolve(value)
			}
		}
		if fg == "" || bg == "" {
			continue
		}
		checked++
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, want at least 4.5:1", selector, fg, bg, r)
		}
	}
	// The page itself, and muted text on panels.
	for _, pair := range [][2]string{{"--fg", "--bg"}, {"--muted", "--bg"}, {"--muted", "--panel"}, {"--accent", "--bg"}, {"--accent", "--panel"}} {
		checked++
		if r := contrast(vars[pair[0]], vars[pair[1]]); r < 4.5 {
			t.Errorf("%s on %s: contrast %.2f:1, want at least 4.5:1", pair[0], pair[1], r)
		}
	}
	t.Logf("checked %d colour pairs", checked)
	if checked < 10 {
		t.Fatalf("checked only %d colour pairs; the stylesheet's rules were not read", checked)
	}
}
