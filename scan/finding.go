package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// Finding is one detected secret. It never holds the secret: only a
// redacted preview and the hex SHA-256 of the secret (the same fingerprint
// warden records for credentials), plus public identifiers the secret
// reveals on its own (an AWS access key id, the SHA-256 of a private key's
// public half).
type Finding struct {
	Rule        string                `json:"rule"`
	Description string                `json:"description"`
	Type        warden.CredentialType `json:"type"`
	File        string                `json:"file"`
	Line        int                   `json:"line"`   // 1-based
	Column      int                   `json:"column"` // 1-based byte column of the secret
	// Commit, Author and Date locate a finding in git history; empty when
	// scanning files.
	Commit string     `json:"commit,omitempty"`
	Author string     `json:"author,omitempty"`
	Date   *time.Time `json:"date,omitempty"`

	Fingerprint string `json:"fingerprint"` // hex SHA-256 of the secret
	PublicID    string `json:"public_id,omitempty"`
	// KeyFingerprint is, for private keys, the hex SHA-256 of the DER
	// SubjectPublicKeyInfo of the matching public key: what certificates
	// in the inventory are recognised by.
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	Preview        string `json:"preview"`

	// Identity is filled by correlation with the inventory.
	Identity *warden.BlastRadius `json:"identity,omitempty"`
}

// Location is where a finding is, for baselines and messages:
// "path:line" or "commit:path:line".
func (f *Finding) Location() string {
	loc := f.File + ":" + itoa(f.Line)
	if f.Commit != "" {
		loc = f.Commit + ":" + loc
	}
	return loc
}

// Fingerprint returns the lower-case hex SHA-256 of secret.
func Fingerprint(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:])
}

// maxPreview bounds a preview's length in bytes.
const maxPreview = 96

// preview renders the match with the secret masked: at most a quarter of
// the secret (and never more than four bytes) stays visible, so that people
// can tell findings apart without seeing the secret. Line breaks and
// control characters become spaces.
func preview(data []byte, m match, block bool) string {
	secret := data[m.secretStart:m.secretEnd]
	keep := min(len(secret)/4, 4)
	before, after := data[m.start:m.secretStart], data[m.secretEnd:m.end]
	if block {
		// A multi-line block: its first line, then its last line.
		if i := bytes.IndexByte(before, '\n'); i >= 0 {
			before = append(before[:i:i], ' ')
		}
		if i := bytes.LastIndexByte(after, '\n'); i >= 0 {
			after = after[i:]
		}
	}
	if len(before) > 48 {
		before = before[len(before)-48:]
	}
	if len(after) > 40 {
		after = after[:40]
	}
	var b strings.Builder
	b.Write(before)
	b.Write(secret[:keep])
	b.WriteString("****")
	b.Write(after)
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, b.String())
	if len(s) > maxPreview {
		s = s[:maxPreview]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
