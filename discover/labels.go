package discover

import (
	"strings"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// SetLabel sets a label on id from outside data, made valid: the key keeps
// only letters, digits, '-', '_', '.' and '/' (others become '_') and is
// cut to warden.MaxLabelKeyLen; the value loses control characters and is
// cut to warden.MaxLabelValueLen. Empty keys and labels beyond
// warden.MaxLabels are dropped.
func SetLabel(id *warden.Identity, key, value string) {
	key = labelKey(key)
	if key == "" {
		return
	}
	if _, exists := id.Labels[key]; !exists && len(id.Labels) >= warden.MaxLabels {
		return
	}
	if id.Labels == nil {
		id.Labels = map[string]string{}
	}
	id.Labels[key] = CleanText(value, warden.MaxLabelValueLen)
}

func labelKey(k string) string {
	b := []byte(k)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			b[i] = '_'
		}
	}
	if len(b) > warden.MaxLabelKeyLen {
		b = b[:warden.MaxLabelKeyLen]
	}
	return string(b)
}

// CleanText makes outside text fit a warden text field: valid UTF-8,
// no control characters, at most max bytes (cut at a rune boundary).
func CleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Slug lower-cases s and reports whether it is a valid environment or
// provider name (1-32 of a-z, 0-9, '-', '_').
func Slug(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 32 {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return s, false
		}
	}
	return s, true
}
