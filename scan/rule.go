package scan

import (
	"fmt"
	"math"
	"regexp"

	"github.com/warden-nhi/warden"
)

// Rule detects one kind of secret. A rule is tried only around the places
// where one of its Keywords occurs (case-insensitively), so keywords must be
// literal text that every true match contains.
type Rule struct {
	ID          string                // stable id, e.g. "aws-access-key-id"
	Description string                // one line for people
	Type        warden.CredentialType // what the secret is in warden's inventory
	Keywords    []string              // literal pre-filter; at least one is required

	// Pattern matches a candidate starting at its keyword (after at most
	// one boundary character), or, for Named rules, at the start of the
	// name that holds the keyword; it is tried there only, anchored, so a
	// line without a match costs almost nothing. Its SecretGroup-th group
	// (0: the whole match) is the secret.
	Pattern *regexp.Regexp
	// Named marks rules whose keyword is part of a name the secret is
	// assigned to ("aws_secret_access_key = ..."): they are tried only
	// where an assignment operator follows the name, from its start.
	Named bool
	// Inside marks rules whose keyword lies inside the secret: matching
	// starts at the start of the word holding it.
	Inside      bool
	SecretGroup int
	// MinEntropy rejects secrets whose Shannon entropy (bits per byte) is
	// lower, such as placeholders; 0 disables the check.
	MinEntropy float64
	// Check, when set, must accept the secret (a structural test such as
	// "the JWT header decodes as JSON").
	Check func(secret []byte) bool
	// PublicID, when set, returns the provider's public identifier for the
	// secret (an AWS access key id, a GCP key id) or "" — never secret text.
	PublicID func(secret []byte) string

	// Block, when set, replaces Pattern for secrets that span lines
	// (private keys): it returns the matches starting at or before the
	// keyword that ends at offset end.
	Block func(data []byte, end int) []match

	// Positives must each produce exactly one finding of this rule;
	// Negatives must produce none. Tests check both.
	Positives []string
	Negatives []string
}

// match is one candidate secret inside a window: the whole match and the
// secret within it, as byte offsets into the scanned data.
type match struct {
	start, end             int
	secretStart, secretEnd int
}

// validate reports a rule that cannot work.
func (r *Rule) validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("rule without id")
	case len(r.Keywords) == 0:
		return fmt.Errorf("rule %s: no keywords", r.ID)
	case (r.Pattern == nil) == (r.Block == nil):
		return fmt.Errorf("rule %s: needs exactly one of Pattern and Block", r.ID)
	case r.Pattern != nil && r.SecretGroup > r.Pattern.NumSubexp():
		return fmt.Errorf("rule %s: secret group %d but the pattern has %d groups", r.ID, r.SecretGroup, r.Pattern.NumSubexp())
	case !r.Type.Valid():
		return fmt.Errorf("rule %s: credential type %q", r.ID, r.Type)
	case len(r.Positives) == 0 || len(r.Negatives) == 0:
		return fmt.Errorf("rule %s: needs positive and negative samples", r.ID)
	}
	return nil
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	var h float64
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
