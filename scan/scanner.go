// Package scan finds hard-coded machine credentials in files, streams and
// git history, and correlates them with warden's inventory.
//
// The engine is warden's own: a case-insensitive Aho-Corasick pass finds the
// rules' keywords, and each rule's regular expression then runs only on the
// line around a keyword (or, for private keys, on the armoured block). A
// finding never carries the secret: only a redacted preview and the SHA-256
// fingerprint warden records for credentials.
package scan

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
)

// maxWindow bounds how far around a keyword a rule looks on one line, so a
// megabyte of minified code on one line costs no more than a short one.
const maxWindow = 1024

// Scanner applies a set of rules. It is safe for concurrent use.
type Scanner struct {
	rules    []*Rule
	anchored []*regexp.Regexp // per rule: Pattern anchored at a window's start
	index    *keywordIndex
}

// New returns a Scanner for rules (DefaultRules when none are given).
func New(rules ...*Rule) (*Scanner, error) {
	if len(rules) == 0 {
		rules = DefaultRules()
	}
	keywords := make([][]string, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return nil, err
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("rule %s is defined twice", r.ID)
		}
		seen[r.ID] = true
		keywords[i] = r.Keywords
	}
	anchored := make([]*regexp.Regexp, len(rules))
	for i, r := range rules {
		if r.Pattern != nil {
			// One optional boundary character, then the pattern.
			anchored[i] = regexp.MustCompile(`^(?:[^A-Za-z0-9_])?(` + r.Pattern.String() + `)`)
		}
	}
	return &Scanner{rules: rules, anchored: anchored, index: newKeywordIndex(keywords)}, nil
}

// Rules returns the scanner's rules.
func (s *Scanner) Rules() []*Rule { return slices.Clone(s.rules) }

// Loc says where scanned data comes from: its path, and for git history the
// commit that added it. FirstLine is the line number of the data's first
// line (1 for a whole file, the hunk's start for a diff).
type Loc struct {
	File      string
	FirstLine int
	Commit    string
	Author    string
	Date      string // RFC 3339, as git prints it
}

// Scan returns the findings in data, ordered by position.
func (s *Scanner) Scan(data []byte, loc Loc) []Finding {
	var st state
	return s.scan(data, loc, &st, nil)
}

// state is scratch space reused between calls by one goroutine.
type state struct {
	hits    []hit
	until   []int // per rule: end of its last match
	tried   []int // per rule: start of its last window, plus one
	matches []found
}

type found struct {
	rule int
	m    match
}

func (s *Scanner) scan(data []byte, loc Loc, st *state, out []Finding) []Finding {
	st.hits = s.index.find(data, st.hits[:0])
	if len(st.hits) == 0 {
		return out
	}
	if cap(st.until) < len(s.rules) {
		st.until = make([]int, len(s.rules))
	}
	st.until = st.until[:len(s.rules)]
	clear(st.until)
	if cap(st.tried) < len(s.rules) {
		st.tried = make([]int, len(s.rules))
	}
	st.tried = st.tried[:len(s.rules)]
	clear(st.tried)
	st.matches = st.matches[:0]
	for _, h := range st.hits {
		if h.End <= st.until[h.Rule] {
			continue
		}
		r := s.rules[h.Rule]
		if r.Block != nil {
			for _, m := range r.Block(data, h.End) {
				st.matches = append(st.matches, found{h.Rule, m})
				st.until[h.Rule] = max(st.until[h.Rule], m.end)
			}
			continue
		}
		lo, hi := s.window(data, r, h)
		if r.Named && !assignmentFollows(data[h.End:hi]) {
			continue
		}
		if st.tried[h.Rule] == lo+1 {
			continue // another keyword of the same name
		}
		st.tried[h.Rule] = lo + 1
		ix := s.anchored[h.Rule].FindSubmatchIndex(data[lo:hi])
		g := r.SecretGroup + 1 // group 1 is the rule's whole pattern
		if ix == nil || ix[2*g] < 0 {
			continue
		}
		start := lo + ix[2]
		m := match{start: start, end: lo + ix[3], secretStart: lo + ix[2*g], secretEnd: lo + ix[2*g+1]}
		if s.accept(r, data[m.secretStart:m.secretEnd]) {
			st.matches = append(st.matches, found{h.Rule, m})
			st.until[h.Rule] = m.end
		}
	}
	if len(st.matches) == 0 {
		return out
	}
	slices.SortStableFunc(st.matches, func(a, b found) int {
		if a, b := min(a.m.start, a.m.secretStart), min(b.m.start, b.m.secretStart); a != b {
			return a - b
		}
		return a.rule - b.rule
	})
	line, lineStart, pos := loc.FirstLine, 0, 0
	if line == 0 {
		line = 1
	}
	for i, f := range st.matches {
		if i > 0 && f.m == st.matches[i-1].m && f.rule == st.matches[i-1].rule {
			continue
		}
		if s.shadowed(st.matches, i) {
			continue
		}
		r := s.rules[f.rule]
		// A finding is placed at its secret; a multi-line block at its
		// first line.
		anchor := f.m.secretStart
		if r.Block != nil {
			anchor = f.m.start
		}
		for pos < anchor {
			nl := bytes.IndexByte(data[pos:anchor], '\n')
			if nl < 0 {
				pos = anchor
				break
			}
			line++
			pos += nl + 1
			lineStart = pos
		}
		secret := data[f.m.secretStart:f.m.secretEnd]
		fd := Finding{
			Rule: r.ID, Description: r.Description, Type: r.Type,
			File: loc.File, Line: line, Column: anchor - lineStart + 1,
			Commit: loc.Commit, Author: loc.Author,
			Fingerprint: Fingerprint(secret),
			Preview:     preview(data, f.m, r.Block != nil),
		}
		if loc.Date != "" {
			fd.Date = parseGitDate(loc.Date)
		}
		if r.PublicID != nil {
			fd.PublicID = r.PublicID(secret)
		}
		if r.Type == typePrivateKey || r.Type == typeSSHKey {
			fd.KeyFingerprint = publicKeyFingerprint(data[f.m.start:f.m.end])
		}
		out = append(out, fd)
	}
	return out
}

// shadowed reports whether the generic rule's match i repeats a secret a
// specific rule already found at the same place.
func (s *Scanner) shadowed(ms []found, i int) bool {
	if !s.rules[ms[i].rule].generic() {
		return false
	}
	for j := range ms {
		if j != i && !s.rules[ms[j].rule].generic() &&
			ms[j].m.secretStart < ms[i].m.secretEnd && ms[i].m.secretStart < ms[j].m.secretEnd {
			return true
		}
	}
	return false
}

func (s *Scanner) accept(r *Rule, secret []byte) bool {
	if r.MinEntropy > 0 && entropy(secret) < r.MinEntropy {
		return false
	}
	return r.Check == nil || r.Check(secret)
}

// window returns where rule r is tried for keyword hit h: from one byte
// before the keyword (or before the word holding it, for Named rules) to
// the end of the line, at most maxWindow bytes on.
func (s *Scanner) window(data []byte, r *Rule, h hit) (int, int) {
	lo := h.Start
	if r.Named || r.Inside {
		for lo > 0 && h.Start-lo < maxWindow && nameByte(data[lo-1]) {
			lo--
		}
	}
	if lo > 0 && data[lo-1] != '\n' {
		lo--
	}
	hi := min(len(data), h.Start+maxWindow)
	if i := bytes.IndexByte(data[h.Start:hi], '\n'); i >= 0 {
		hi = h.Start + i
	}
	return lo, hi
}

// assignmentFollows reports whether rest (what follows a keyword) goes on
// with the rest of a name, an optional closing quote, spaces and an
// assignment operator: a cheap test that spares the regular expression
// on the many lines that merely mention a token or a password.
func assignmentFollows(rest []byte) bool {
	i := 0
	for i < len(rest) && nameByte(rest[i]) {
		i++
	}
	if i < len(rest) && (rest[i] == '"' || rest[i] == '\'') {
		i++
	}
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
		i++
	}
	return i < len(rest) && (rest[i] == '=' || rest[i] == ':' || rest[i] == '?')
}

// nameByte reports bytes that make up names and tokens.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
