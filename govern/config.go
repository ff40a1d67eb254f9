// Package govern turns the inventory into governance findings: rules that
// are pure functions over a per-identity Snapshot (identity, credentials,
// grants, activity summary), each mapped to the OWASP Non-Human Identities
// Top 10 (2025) and to NIST SP 800-207 / CSF 2.0 references; an Evaluator
// that builds snapshots from warden's services, stores the findings and the
// identities' risk scores and records a posture snapshot; and the audit
// report grouped by OWASP id and NIST reference.
package govern

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/warden-nhi/warden"
)

//go:embed rules.json
var defaultRulesJSON []byte

// Config is the rule catalog and the thresholds the rules use. The
// defaults ship embedded (rules.json); LoadConfig applies an operator's
// overrides on top of them.
type Config struct {
	// ActivityWindowDays is how far back activity counts for the usage
	// rules (interactive use, reuse, environment mixing).
	ActivityWindowDays int `json:"activity_window_days"`
	// HighRiskThreshold is the risk score from which an identity counts as
	// high risk in the posture.
	HighRiskThreshold int `json:"high_risk_threshold"`
	// KnownAccounts are the organisation's own cloud account ids; trust to
	// any other account is external. An identity's own account is always
	// known.
	KnownAccounts []string     `json:"known_accounts"`
	Environments  Environments `json:"environments"`
	// BroadScopes are OAuth/GitHub App scopes and permissions counted as
	// broad for third-party apps.
	BroadScopes []string `json:"broad_scopes"`
	// References names each NIST reference the rules use.
	References map[string]string       `json:"references"`
	Rules      []warden.GovernanceRule `json:"rules"`
}

// Environments classifies names (resources, namespaces, accounts) into
// environments for the environment-isolation rule.
type Environments struct {
	// Accounts maps a cloud account id to its environment ("prod", "dev").
	Accounts     map[string]string `json:"accounts"`
	ProdWords    []string          `json:"prod_words"`
	NonProdWords []string          `json:"nonprod_words"`
}

// DefaultConfig returns a fresh copy of the embedded defaults.
func DefaultConfig() *Config {
	var c Config
	if err := json.Unmarshal(defaultRulesJSON, &c); err != nil {
		panic("govern: embedded rules.json: " + err.Error())
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		r.Enabled = true
		if r.Source == "" {
			r.Source = SourceGovern
		}
		if r.Params == nil {
			r.Params = map[string]float64{}
		}
		if r.NIST == nil {
			r.NIST = []string{}
		}
	}
	if err := c.validate(); err != nil {
		panic("govern: embedded rules.json: " + err.Error())
	}
	return &c
}

// SourceGovern is the Source of findings the evaluator raises.
const SourceGovern = "govern"

// maxConfigBytes bounds a rules override file.
const maxConfigBytes = 1 << 20

// Override is the shape of an operator's rules file: every field is
// optional; rules are matched by id and may change only their severity,
// enabled flag and parameters.
type Override struct {
	ActivityWindowDays *int           `json:"activity_window_days"`
	HighRiskThreshold  *int           `json:"high_risk_threshold"`
	KnownAccounts      []string       `json:"known_accounts"`
	Environments       *Environments  `json:"environments"`
	BroadScopes        []string       `json:"broad_scopes"`
	Rules              []RuleOverride `json:"rules"`
}

// RuleOverride changes one rule of the catalog.
type RuleOverride struct {
	ID       string             `json:"id"`
	Severity *warden.Severity   `json:"severity"`
	Enabled  *bool              `json:"enabled"`
	Params   map[string]float64 `json:"params"`
}

// LoadConfig reads an override file (JSON, see Override) and applies it to
// the defaults. Unknown fields, unknown rule ids, unknown parameters,
// non-positive thresholds and invalid severities are errors that name the
// offending field.
func LoadConfig(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read rules config: %w", err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("rules config is larger than %d bytes", maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var o Override
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("rules config: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("rules config: unexpected data after the JSON object")
	}
	c := DefaultConfig()
	if err := c.apply(&o); err != nil {
		return nil, fmt.Errorf("rules config: %w", err)
	}
	return c, nil
}

func (c *Config) apply(o *Override) error {
	if o.ActivityWindowDays != nil {
		c.ActivityWindowDays = *o.ActivityWindowDays
	}
	if o.HighRiskThreshold != nil {
		c.HighRiskThreshold = *o.HighRiskThreshold
	}
	if o.KnownAccounts != nil {
		c.KnownAccounts = o.KnownAccounts
	}
	if o.Environments != nil {
		if o.Environments.Accounts != nil {
			c.Environments.Accounts = o.Environments.Accounts
		}
		if o.Environments.ProdWords != nil {
			c.Environments.ProdWords = o.Environments.ProdWords
		}
		if o.Environments.NonProdWords != nil {
			c.Environments.NonProdWords = o.Environments.NonProdWords
		}
	}
	if o.BroadScopes != nil {
		c.BroadScopes = o.BroadScopes
	}
	seen := map[string]bool{}
	for n, ro := range o.Rules {
		field := fmt.Sprintf("rules[%d]", n)
		if seen[ro.ID] {
			return fmt.Errorf("%s: rule %q is listed twice", field, ro.ID)
		}
		seen[ro.ID] = true
		r := c.rule(ro.ID)
		if r == nil {
			return fmt.Errorf("%s.id: unknown rule %q (known: %s)", field, ro.ID, strings.Join(c.ruleIDs(), ", "))
		}
		if ro.Severity != nil {
			if !ro.Severity.Valid() {
				return fmt.Errorf("%s.severity: %q is not a severity", field, *ro.Severity)
			}
			r.Severity = *ro.Severity
		}
		if ro.Enabled != nil {
			r.Enabled = *ro.Enabled
		}
		for k, v := range ro.Params {
			if _, ok := r.Params[k]; !ok {
				known := slices.Sorted(maps.Keys(r.Params))
				return fmt.Errorf("%s.params.%s: rule %s has no parameter %q (it has: %s)", field, k, r.ID, k, strings.Join(known, ", "))
			}
			r.Params[k] = v
		}
	}
	return c.validate()
}

// validate checks the whole configuration.
func (c *Config) validate() error {
	if c.ActivityWindowDays < 1 || c.ActivityWindowDays > 3660 {
		return fmt.Errorf("activity_window_days must be between 1 and 3660, got %d", c.ActivityWindowDays)
	}
	if c.HighRiskThreshold < 1 || c.HighRiskThreshold > 100 {
		return fmt.Errorf("high_risk_threshold must be between 1 and 100, got %d", c.HighRiskThreshold)
	}
	for n, a := range c.KnownAccounts {
		if !isAccountID(a) {
			return fmt.Errorf("known_accounts[%d]: %q is not a 12-digit account id", n, a)
		}
	}
	for a, env := range c.Environments.Accounts {
		if !isAccountID(a) {
			return fmt.Errorf("environments.accounts: %q is not a 12-digit account id", a)
		}
		if env == "" {
			return fmt.Errorf("environments.accounts.%s: environment is empty", a)
		}
	}
	for _, r := range c.Rules {
		if _, ok := checks[r.ID]; !ok && r.Source == SourceGovern {
			return fmt.Errorf("rule %s has no implementation", r.ID)
		}
		if !r.Severity.Valid() {
			return fmt.Errorf("rule %s: severity %q is not valid", r.ID, r.Severity)
		}
		if len(r.OWASP) == 0 {
			return fmt.Errorf("rule %s maps to no OWASP NHI id", r.ID)
		}
		for _, id := range r.OWASP {
			if !warden.ValidOWASPID(id) {
				return fmt.Errorf("rule %s: OWASP id %q is not one of NHI1-NHI10", r.ID, id)
			}
		}
		for _, ref := range r.NIST {
			if _, ok := c.References[ref]; !ok {
				return fmt.Errorf("rule %s: NIST reference %q is not in references", r.ID, ref)
			}
		}
		for k, v := range r.Params {
			if !(v > 0) || v > 1e6 {
				return fmt.Errorf("rules.%s.params.%s must be a positive number up to 1000000, got %v", r.ID, k, v)
			}
		}
	}
	return nil
}

func (c *Config) rule(id string) *warden.GovernanceRule {
	for i := range c.Rules {
		if c.Rules[i].ID == id {
			return &c.Rules[i]
		}
	}
	return nil
}

func (c *Config) ruleIDs() []string {
	ids := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	return ids
}

// Catalog returns a copy of the rules, in catalog order.
func (c *Config) Catalog() []warden.GovernanceRule {
	out := make([]warden.GovernanceRule, len(c.Rules))
	for i, r := range c.Rules {
		r.OWASP = slices.Clone(r.OWASP)
		r.NIST = slices.Clone(r.NIST)
		r.Params = maps.Clone(r.Params)
		out[i] = r
	}
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
