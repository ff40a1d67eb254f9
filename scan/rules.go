package scan

import (
	"regexp"
	"strings"

	"github.com/warden-nhi/warden"
)

// Short names for the credential types rules report.
const (
	typeAccessKey    = warden.CredentialAccessKey
	typeAPIKey       = warden.CredentialAPIKey
	typeClientSecret = warden.CredentialClientSecret
	typePassword     = warden.CredentialPassword
	typeToken        = warden.CredentialToken
	typePrivateKey   = warden.CredentialPrivateKey
	typeSSHKey       = warden.CredentialSSHKey
)

// DefaultRules returns a fresh copy of warden's built-in rules: cloud keys,
// source-hosting and SaaS tokens, private keys, JWTs, database URLs,
// warden's own API tokens and generic high-entropy assignments.
func DefaultRules() []*Rule {
	var rules []*Rule
	rules = append(rules, cloudRules()...)
	rules = append(rules, vcsRules()...)
	rules = append(rules, saasRules()...)
	rules = append(rules, keyRules()...)
	rules = append(rules, genericRules()...)
	return rules
}

// generic reports whether the rule is a catch-all whose findings give way
// to a specific rule's finding of the same secret.
func (r *Rule) generic() bool { return strings.HasPrefix(r.ID, "generic-") }

// Boundaries used around token patterns: what may stand before and after a
// token in code, configuration and prose.
const (
	pre  = `(?:^|[^A-Za-z0-9_])`
	post = `(?:$|[^A-Za-z0-9_])`
)

// assign matches "<name> = value" in the common syntaxes: shell, .env, INI,
// YAML, JSON, TOML, Go, Python, Ruby, HCL. name is a regexp fragment.
func assign(name, value string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)[A-Za-z0-9_.\-]*?` + name + `["']?\s*(?:=|:=|:|=>|\?=)\s*(?:[bru]?["'` + "`" + `])?` + value + `(?:["'` + "`" + `,;\s\\]|$)`)
}

// placeholder reports values that stand for a secret rather than being
// one: variable references, templates, angle-bracket hints, masks and
// well-known dummy words.
func placeholder(v []byte) bool {
	s := strings.ToLower(string(v))
	if strings.ContainsAny(s[:1], "$%<{(*") || strings.Contains(s, "${") || strings.Contains(s, "{{") ||
		strings.Contains(s, "xxxx") || strings.Contains(s, "****") || strings.Contains(s, "....") {
		return true
	}
	switch s {
	case "password", "passwd", "pass", "secret", "changeme", "change_me", "example", "redacted", "none", "null", "true", "false", "username", "user":
		return true
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// mixed reports whether v has both a letter and a digit, which random
// tokens nearly always have and identifiers and words rarely do.
func mixed(v []byte) bool {
	var letter, digit bool
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		}
	}
	return letter && digit
}

// self returns the secret itself as the public id, for identifiers that
// are public by design (an AWS access key id).
func self(secret []byte) string { return string(secret) }
