package warden

import (
	"context"
	"time"
)

// Leak is a secret found hard-coded somewhere (a file, a commit, a CI
// log), as the secret scanner reports it: never the secret, only its
// SHA-256 fingerprint, a redacted preview and where it was. Correlation
// ties it to the credential and identity it unlocks. A leak is unique per
// (fingerprint, source, file, line, commit): reporting it again moves its
// last-seen time.
type Leak struct {
	ID          string         `json:"id"`
	Fingerprint string         `json:"fingerprint"` // hex SHA-256 of the secret
	Rule        string         `json:"rule"`        // detection rule, e.g. "aws-access-key-id"
	Type        CredentialType `json:"type"`
	// Source names what was scanned: a repository, a host, a CI job.
	Source string `json:"source"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Commit string `json:"commit"`
	Author string `json:"author"`
	// PublicID is a public identifier the secret carries (an AWS access
	// key id); KeyFingerprint is, for private keys, the hex SHA-256 of the
	// public key's DER SubjectPublicKeyInfo.
	PublicID       string `json:"public_id"`
	KeyFingerprint string `json:"key_fingerprint"`
	Preview        string `json:"preview"` // redacted

	// Correlation with the inventory; empty when the secret matches no
	// recorded credential.
	IdentityID   string `json:"identity_id"`
	CredentialID string `json:"credential_id"`
	MatchedBy    string `json:"matched_by"` // fingerprint, public_id or key_fingerprint

	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	SeenCount   int       `json:"seen_count"`

	// BlastRadius describes the identity at read time; not stored.
	BlastRadius *BlastRadius `json:"blast_radius,omitempty"`
}

// BlastRadius is what a leaked credential unlocks: the identity, who
// answers for it, what it may do and when it was last used.
type BlastRadius struct {
	IdentityID       string     `json:"identity_id"`
	ExternalID       string     `json:"external_id"`
	Name             string     `json:"name"`
	Kind             string     `json:"kind"`
	Provider         string     `json:"provider"`
	Owner            string     `json:"owner"`
	Environment      string     `json:"environment"`
	Status           string     `json:"status"`
	LastUsedAt       *time.Time `json:"last_used_at"`
	CredentialID     string     `json:"credential_id"`
	CredentialStatus string     `json:"credential_status"`
	MatchedBy        string     `json:"matched_by"`
	// Permissions summarises the identity's allow grants, e.g.
	// "s3:GetObject on arn:aws:s3:::bucket/*"; Admin is true when one
	// grants every action.
	Permissions []string `json:"permissions"`
	Admin       bool     `json:"admin"`
}

// Leak match kinds.
const (
	MatchFingerprint    = "fingerprint"
	MatchPublicID       = "public_id"
	MatchKeyFingerprint = "key_fingerprint"
)

// Limits on leak fields.
const (
	MaxLeaksPerReport = 5000
	maxPreviewLen     = 256
)

// Validate checks a reported leak.
func (l *Leak) Validate() error {
	if l.Fingerprint == "" {
		return FieldErrorf("fingerprint", "fingerprint is required")
	}
	if err := ValidateFingerprint(l.Fingerprint); err != nil {
		return err
	}
	if !validRuleSlug(l.Rule) {
		return FieldErrorf("rule", "rule %q must be 1-64 lower-case letters, digits or '-'", l.Rule)
	}
	if l.Type != "" && !l.Type.Valid() {
		return FieldErrorf("type", "type %q is not one of %s", l.Type, joinValues(CredentialTypes))
	}
	if err := checkText("source", l.Source, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("file", l.File, MaxExternalIDLen, false); err != nil {
		return err
	}
	if l.Line < 0 || l.Line > 1<<30 {
		return FieldErrorf("line", "line must be between 0 and %d", 1<<30)
	}
	if len(l.Commit) > 64 || !isHex(l.Commit) {
		return FieldErrorf("commit", "commit must be a hex object id of at most 64 digits")
	}
	if err := checkText("author", l.Author, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("public_id", l.PublicID, MaxNameLen, false); err != nil {
		return err
	}
	if err := ValidateFingerprint(l.KeyFingerprint); err != nil {
		return FieldErrorf("key_fingerprint", "key_fingerprint must be the 64 lower-case hex digits of a SHA-256 digest")
	}
	return checkText("preview", l.Preview, maxPreviewLen, false)
}

// LeakFilter selects leaks, most recently seen first. Zero fields match
// everything.
type LeakFilter struct {
	IdentityID  string
	Rule        string
	Fingerprint string
	Source      string
	Correlated  *bool // only leaks tied (true) or not tied (false) to an identity
	Cursor      string
	Limit       int
}

// Validate checks the filter and normalises its page size.
func (f *LeakFilter) Validate() error {
	if f.Rule != "" && !validRuleSlug(f.Rule) {
		return FieldErrorf("rule", "rule %q is not a valid rule id", f.Rule)
	}
	if err := ValidateFingerprint(f.Fingerprint); err != nil {
		return err
	}
	return normaliseLimit(&f.Limit)
}

// LeakService records leaked secrets and lists them.
type LeakService interface {
	// RecordLeaks validates and upserts the leaks in one transaction,
	// keyed by (fingerprint, source, file, line, commit), and fills each
	// with its stored state (id, first/last seen, count). A correlation
	// given on a leak (identity, credential, matched_by) is stored; one
	// already stored is kept when none is given. EINVALID names the
	// offending leak's field.
	RecordLeaks(ctx context.Context, leaks []*Leak) error

	// FindLeaks returns a page of leaks and the next cursor.
	FindLeaks(ctx context.Context, filter LeakFilter) ([]*Leak, string, error)
}

func validRuleSlug(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
