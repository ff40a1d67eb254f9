package govern

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/warden-nhi/warden"
)

// Hit is one occurrence of a rule's condition on an identity.
type Hit struct {
	// Subject narrows the finding (a credential id, a grant's origin); ""
	// for the identity as a whole. Findings are deduplicated on it.
	Subject  string
	Detail   string
	Evidence map[string]any
}

// env is what a check sees besides the snapshot: the configuration and
// the rule's own parameters.
type env struct {
	cfg      *Config
	params   map[string]float64
	classify *Classifier
}

func (e *env) param(name string) float64 { return e.params[name] }

func (e *env) days(name string) time.Duration {
	return time.Duration(e.params[name] * float64(24*time.Hour))
}

// checkFunc is a rule: a pure function of a snapshot.
type checkFunc func(s *Snapshot, e *env) []Hit

// checks maps every evaluator rule id to its implementation.
var checks = map[string]checkFunc{
	"owner-missing":               checkOwnerMissing,
	"identity-stale":              checkIdentityStale,
	"credential-unused":           checkCredentialUnused,
	"credential-old":              checkCredentialOld,
	"token-no-expiry":             checkTokenNoExpiry,
	"multiple-active-keys":        checkMultipleActiveKeys,
	"admin-permissions":           checkAdminPermissions,
	"wildcard-permissions":        checkWildcardPermissions,
	"unused-permissions":          checkUnusedPermissions,
	"external-account-trust":      checkExternalAccountTrust,
	"trust-any-principal":         checkTrustAnyPrincipal,
	"oidc-trust-no-subject":       checkOIDCTrustNoSubject,
	"third-party-app-broad-scope": checkThirdPartyBroadScope,
	"console-access":              checkConsoleAccess,
	"interactive-use":             checkInteractiveUse,
	"reuse-many-sources":          checkReuse,
	"env-mixing":                  checkEnvMixing,
	"cert-expiring":               checkCertExpiring,
	"cert-weak-key":               checkCertWeakKey,
	"cert-sha1":                   checkCertSHA1,
}

// Engine runs the enabled evaluator rules of a Config over snapshots.
type Engine struct {
	cfg      *Config
	classify *Classifier
	rules    []warden.GovernanceRule // enabled evaluator rules
}

// NewEngine returns an engine for cfg (DefaultConfig when nil).
func NewEngine(cfg *Config) *Engine {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	e := &Engine{cfg: cfg, classify: NewClassifier(cfg.Environments)}
	for _, r := range cfg.Rules {
		if r.Enabled && r.Source == SourceGovern {
			e.rules = append(e.rules, r)
		}
	}
	return e
}

// RuleIDs lists the ids of every evaluator rule, enabled or not: the
// evaluator owns their findings and resolves those of disabled rules.
func (e *Engine) RuleIDs() []string {
	var ids []string
	for _, r := range e.cfg.Rules {
		if r.Source == SourceGovern {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Evaluate runs every enabled rule over s and returns its findings, ready
// to store. Deprovisioned identities have none.
func (e *Engine) Evaluate(s *Snapshot) []*warden.Finding {
	if s.Identity.Status == warden.StatusDeprovisioned {
		return nil
	}
	var out []*warden.Finding
	for _, r := range e.rules {
		hits := checks[r.ID](s, &env{cfg: e.cfg, params: r.Params, classify: e.classify})
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].Subject < hits[j].Subject })
		for _, h := range dedupe(hits) {
			out = append(out, e.finding(s, r, h))
		}
	}
	return out
}

// dedupe keeps the first hit per subject (a rule reports one finding per
// subject; more evidence goes in that finding).
func dedupe(hits []Hit) []Hit {
	out := hits[:0:0]
	seen := map[string]bool{}
	for _, h := range hits {
		if !seen[h.Subject] {
			seen[h.Subject] = true
			out = append(out, h)
		}
	}
	return out
}

func (e *Engine) finding(s *Snapshot, r warden.GovernanceRule, h Hit) *warden.Finding {
	ev, err := json.Marshal(h.Evidence)
	if err != nil || h.Evidence == nil || len(ev) > warden.MaxEvidenceBytes {
		ev = []byte("{}")
	}
	return &warden.Finding{
		IdentityID:  s.Identity.ID,
		RuleID:      r.ID,
		Subject:     h.Subject,
		Severity:    r.Severity,
		Title:       r.Title,
		Detail:      h.Detail,
		Evidence:    ev,
		OWASP:       append([]string{}, r.OWASP...),
		NIST:        append([]string{}, r.NIST...),
		Remediation: r.Remediation,
		Source:      SourceGovern,
	}
}

// day formats a duration in whole days for details.
func daysOf(d time.Duration) int { return int(d / (24 * time.Hour)) }
