package scan

import "github.com/warden-nhi/warden"

// Leak converts the finding into what is sent to a warden server and
// stored there: location, rule, fingerprints, public id and the redacted
// preview — never the secret, which the finding does not hold. source
// names what was scanned (a repository, a host).
func (f *Finding) Leak(source string) *warden.Leak {
	return &warden.Leak{
		Fingerprint: f.Fingerprint, Rule: f.Rule, Type: f.Type, Source: source,
		File: f.File, Line: f.Line, Commit: f.Commit, Author: f.Author,
		PublicID: f.PublicID, KeyFingerprint: f.KeyFingerprint, Preview: f.Preview,
	}
}
