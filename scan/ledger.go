package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// FindingRaiser is the part of warden.FindingService the ledger needs.
type FindingRaiser interface {
	RaiseFinding(ctx context.Context, f *warden.Finding) error
}

// LedgerConfig wires a Ledger. Leaks, Credentials and Identities are
// required; without Grants the blast radius lists no permissions, and
// without Findings no NHI2 finding is raised.
type LedgerConfig struct {
	Leaks       warden.LeakService // where leaks are stored
	Credentials warden.CredentialService
	Identities  warden.IdentityService
	Grants      warden.GrantService
	Findings    FindingRaiser
}

// Ledger is warden's LeakService: it correlates each reported leak with the
// inventory — by the secret's fingerprint, by the public id it carries (an
// AWS access key id), or for private keys by the SHA-256 of the public key
// (matched against certificates' credentials) — stores it, raises an NHI2
// "secret-leaked" finding on the identity it belongs to, and describes the
// blast radius: identity, owner, permissions and last use.
type Ledger struct {
	cfg LedgerConfig
}

var _ warden.LeakService = (*Ledger)(nil)

// LeakRuleID is the governance rule of the findings the ledger raises.
const LeakRuleID = "secret-leaked"

// NewLedger returns a Ledger. It panics when a required service is
// missing: that is a wiring mistake.
func NewLedger(cfg LedgerConfig) *Ledger {
	if cfg.Leaks == nil || cfg.Credentials == nil || cfg.Identities == nil {
		panic("scan.NewLedger: Leaks, Credentials and Identities are required")
	}
	return &Ledger{cfg: cfg}
}

// RecordLeaks correlates, stores and raises findings for the leaks, and
// fills each correlated leak's BlastRadius.
func (l *Ledger) RecordLeaks(ctx context.Context, leaks []*warden.Leak) error {
	creds := make([]*warden.Credential, len(leaks))
	for i, lk := range leaks {
		if err := lk.Validate(); err != nil {
			return err
		}
		cred, how, err := l.match(ctx, lk)
		if err != nil {
			return err
		}
		if cred != nil {
			lk.IdentityID, lk.CredentialID, lk.MatchedBy = cred.IdentityID, cred.ID, how
			creds[i] = cred
		}
	}
	if err := l.cfg.Leaks.RecordLeaks(ctx, leaks); err != nil {
		return err
	}
	for i, lk := range leaks {
		if lk.IdentityID == "" {
			continue
		}
		br, err := l.blastRadius(ctx, lk, creds[i])
		if err != nil {
			return err
		}
		lk.BlastRadius = br
		if l.cfg.Findings != nil {
			if err := l.cfg.Findings.RaiseFinding(ctx, leakFinding(lk, br)); err != nil {
				return fmt.Errorf("raise leak finding for %s: %w", lk.IdentityID, err)
			}
		}
	}
	return nil
}

// FindLeaks lists stored leaks with the current blast radius of each
// correlated one.
func (l *Ledger) FindLeaks(ctx context.Context, f warden.LeakFilter) ([]*warden.Leak, string, error) {
	leaks, next, err := l.cfg.Leaks.FindLeaks(ctx, f)
	if err != nil {
		return nil, "", err
	}
	for _, lk := range leaks {
		if lk.IdentityID == "" {
			continue
		}
		var cred *warden.Credential
		if lk.CredentialID != "" {
			cred, err = l.cfg.Credentials.FindCredentialByID(ctx, lk.CredentialID)
			if err != nil && warden.ErrorCode(err) != warden.ENOTFOUND {
				return nil, "", err
			}
		}
		if lk.BlastRadius, err = l.blastRadius(ctx, lk, cred); err != nil {
			return nil, "", err
		}
	}
	return leaks, next, nil
}

// match finds the credential the leaked secret belongs to.
func (l *Ledger) match(ctx context.Context, lk *warden.Leak) (*warden.Credential, string, error) {
	type probe struct {
		how string
		f   warden.CredentialFilter
	}
	var probes []probe
	probes = append(probes, probe{warden.MatchFingerprint, warden.CredentialFilter{Fingerprint: lk.Fingerprint}})
	if lk.PublicID != "" {
		probes = append(probes, probe{warden.MatchPublicID, warden.CredentialFilter{PublicID: lk.PublicID}})
	}
	if kf := lk.KeyFingerprint; kf != "" {
		// A certificate (or key) credential records the SHA-256 of its
		// SubjectPublicKeyInfo as its fingerprint or as its public id.
		probes = append(probes,
			probe{warden.MatchKeyFingerprint, warden.CredentialFilter{Fingerprint: kf}},
			probe{warden.MatchKeyFingerprint, warden.CredentialFilter{PublicID: kf}},
			probe{warden.MatchKeyFingerprint, warden.CredentialFilter{PublicID: SPKIPrefix + kf}})
	}
	for _, p := range probes {
		p.f.Limit = 10
		found, _, err := l.cfg.Credentials.FindCredentials(ctx, p.f)
		if err != nil {
			return nil, "", fmt.Errorf("correlate leak: %w", err)
		}
		if len(found) > 0 {
			// Prefer a live credential when several share a public id.
			slices.SortStableFunc(found, func(a, b *warden.Credential) int {
				return boolRank(a.Status != warden.CredentialActive) - boolRank(b.Status != warden.CredentialActive)
			})
			return found[0], p.how, nil
		}
	}
	return nil, "", nil
}

// SPKIPrefix marks a credential public id that is the hex SHA-256 of a
// public key's DER SubjectPublicKeyInfo.
const SPKIPrefix = "spki-sha256:"

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// blastRadius describes the identity of a correlated leak.
func (l *Ledger) blastRadius(ctx context.Context, lk *warden.Leak, cred *warden.Credential) (*warden.BlastRadius, error) {
	id, err := l.cfg.Identities.FindIdentityByID(ctx, lk.IdentityID)
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("blast radius of %s: %w", lk.IdentityID, err)
	}
	br := &warden.BlastRadius{
		IdentityID: id.ID, ExternalID: id.ExternalID, Name: id.Name, Kind: string(id.Kind), Provider: string(id.Provider),
		Owner: id.Owner, Environment: id.Environment, Status: string(id.Status), LastUsedAt: id.LastUsedAt,
		CredentialID: lk.CredentialID, MatchedBy: lk.MatchedBy, Permissions: []string{},
	}
	if cred != nil {
		br.CredentialStatus = string(cred.Status)
		if cred.LastUsedAt != nil && (br.LastUsedAt == nil || cred.LastUsedAt.After(*br.LastUsedAt)) {
			br.LastUsedAt = cred.LastUsedAt
		}
	}
	if l.cfg.Grants != nil {
		grants, err := l.cfg.Grants.FindGrants(ctx, id.ID)
		if err != nil {
			return nil, fmt.Errorf("blast radius of %s: %w", id.ID, err)
		}
		br.Permissions, br.Admin = summarise(grants)
	}
	return br, nil
}

// maxPermissions bounds the permission summary of a blast radius.
const maxPermissions = 50

// summarise renders allow permission grants as "actions on resources".
func summarise(grants []*warden.Grant) ([]string, bool) {
	out := []string{}
	admin := false
	for _, g := range grants {
		if g.Kind != warden.GrantPermission || !strings.EqualFold(g.Effect, "allow") {
			continue
		}
		for _, a := range g.Actions {
			if a == "*" || a == "*:*" {
				admin = true
			}
		}
		if len(out) < maxPermissions {
			res := strings.Join(g.Resources, ", ")
			if res == "" {
				res = "*"
			}
			out = append(out, strings.Join(g.Actions, ", ")+" on "+res)
		}
	}
	return out, admin
}

// leakFinding is the NHI2 finding raised on a leak's identity; the subject
// is the leaked credential, so one finding tracks each leaked credential.
func leakFinding(lk *warden.Leak, br *warden.BlastRadius) *warden.Finding {
	where := lk.File
	if lk.Line > 0 {
		where = fmt.Sprintf("%s:%d", lk.File, lk.Line)
	}
	if lk.Source != "" {
		where = lk.Source + " " + where
	}
	if lk.Commit != "" {
		where += " @" + lk.Commit[:min(12, len(lk.Commit))]
	}
	evidence, _ := json.Marshal(map[string]any{
		"leak_id": lk.ID, "rule": lk.Rule, "source": lk.Source, "file": lk.File, "line": lk.Line, "commit": lk.Commit,
		"fingerprint": lk.Fingerprint, "matched_by": lk.MatchedBy, "preview": lk.Preview,
		"credential_status": br.CredentialStatus, "permissions": len(br.Permissions), "admin": br.Admin,
	})
	subject := lk.CredentialID
	if subject == "" {
		subject = lk.Fingerprint
	}
	return &warden.Finding{
		IdentityID: lk.IdentityID, RuleID: LeakRuleID, Subject: subject, Severity: warden.SeverityCritical,
		Title:    "Secret leaked: " + lk.Rule + " in " + clipText(where, 160),
		Detail:   fmt.Sprintf("A %s of this identity was found hard-coded in %s (%s). It was matched by %s.", strings.ReplaceAll(string(lk.Type), "_", " "), clipText(where, 400), lk.Preview, lk.MatchedBy),
		Evidence: evidence, OWASP: []string{"NHI2"}, NIST: []string{"CSF PR.DS-01", "CSF PR.AA-01", "SP 800-207 tenet 6"},
		Remediation: "Revoke and rotate the secret at once, remove it from the repository and its history, and check the identity's activity since the leak.",
		Source:      "scan",
	}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
