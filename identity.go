// Package warden holds the domain of the warden control plane for
// non-human identities (NHIs): the types every other package shares, the
// service interfaces they implement, and the Error type with its codes.
// It imports only the standard library.
package warden

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// IdentityKind says what sort of machine identity an Identity is.
type IdentityKind string

// The kinds of non-human identity warden tracks.
const (
	KindServiceAccount IdentityKind = "service_account" // e.g. a Kubernetes or GCP service account
	KindCloudRole      IdentityKind = "cloud_role"      // e.g. an AWS IAM role
	KindCloudUser      IdentityKind = "cloud_user"      // e.g. an AWS IAM user used by a program
	KindAPIKey         IdentityKind = "api_key"         // a standalone API key (Stripe, Datadog, ...)
	KindOAuthApp       IdentityKind = "oauth_app"       // an OAuth app or GitHub App
	KindCertificate    IdentityKind = "certificate"     // an X.509 certificate identity
	KindWorkload       IdentityKind = "workload"        // a SPIFFE workload
	KindBot            IdentityKind = "bot"             // a chat or automation bot
	KindAIAgent        IdentityKind = "ai_agent"        // an AI agent acting with its own identity
	KindCIIdentity     IdentityKind = "ci_identity"     // a CI/CD pipeline identity or deploy key
)

// IdentityKinds lists every valid kind, in documentation order.
var IdentityKinds = []IdentityKind{
	KindServiceAccount, KindCloudRole, KindCloudUser, KindAPIKey, KindOAuthApp,
	KindCertificate, KindWorkload, KindBot, KindAIAgent, KindCIIdentity,
}

// Valid reports whether k is one of IdentityKinds.
func (k IdentityKind) Valid() bool { return contains(IdentityKinds, k) }

// Provider names the system an identity lives in. Well-known providers are
// listed below; any lower-case name of letters, digits, '-' and '_' is valid
// so that teams can track identities of systems warden has no importer for.
type Provider string

// Well-known providers.
const (
	ProviderAWS        Provider = "aws"
	ProviderGCP        Provider = "gcp"
	ProviderAzure      Provider = "azure"
	ProviderKubernetes Provider = "kubernetes"
	ProviderGitHub     Provider = "github"
	ProviderGitLab     Provider = "gitlab"
	ProviderWarden     Provider = "warden"
	ProviderGeneric    Provider = "generic"
)

// Valid reports whether p is a well-formed provider name.
func (p Provider) Valid() bool { return validSlug(string(p), 32) }

// Status is the lifecycle state of an identity.
type Status string

// Identity statuses. Deprovisioned is terminal.
const (
	StatusActive        Status = "active"
	StatusQuarantined   Status = "quarantined"
	StatusDisabled      Status = "disabled"
	StatusDeprovisioned Status = "deprovisioned"
)

// Statuses lists every valid identity status.
var Statuses = []Status{StatusActive, StatusQuarantined, StatusDisabled, StatusDeprovisioned}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return contains(Statuses, s) }

// Identity is one non-human identity in the inventory.
type Identity struct {
	ID         string       `json:"id"`
	Kind       IdentityKind `json:"kind"`
	Provider   Provider     `json:"provider"`
	ExternalID string       `json:"external_id"` // ARN, SPIFFE ID, system:serviceaccount:ns:name, ...; unique per provider
	Name       string       `json:"name"`
	// Owner is the accountable team or person ("team-payments",
	// "alice@example.com"); empty means nobody owns the identity.
	Owner        string            `json:"owner"`
	Purpose      string            `json:"purpose"`
	Environment  string            `json:"environment"` // prod, staging, dev, ... (free-form, lower case)
	Labels       map[string]string `json:"labels"`
	Status       Status            `json:"status"`
	StatusReason string            `json:"status_reason"`
	// Managed is false for identities warden has only seen in activity
	// logs and nobody has onboarded yet ("not onboarded").
	Managed      bool       `json:"managed"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	FirstSeenAt  *time.Time `json:"first_seen_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	NextReviewAt *time.Time `json:"next_review_at"`
	// RiskScore (0-100) is derived by governance from the identity's open
	// findings and exposure; see docs/governance.md. Only the governance
	// evaluator sets it.
	RiskScore int `json:"risk_score"`
}

// Limits on identity fields, enforced by Validate.
const (
	MaxNameLen       = 256
	MaxExternalIDLen = 2048
	MaxTextLen       = 1024
	MaxLabels        = 64
	MaxLabelKeyLen   = 63
	MaxLabelValueLen = 256
)

// Validate checks the fields a caller supplies when creating an identity and
// fills defaults (status active, empty labels). It returns an EINVALID error
// naming the first bad field.
func (i *Identity) Validate() error {
	if !i.Kind.Valid() {
		return FieldErrorf("kind", "kind %q is not one of %s", i.Kind, joinValues(IdentityKinds))
	}
	if !i.Provider.Valid() {
		return FieldErrorf("provider", "provider %q must be 1-32 lower-case letters, digits, '-' or '_'", i.Provider)
	}
	if err := checkText("external_id", i.ExternalID, MaxExternalIDLen, true); err != nil {
		return err
	}
	if err := checkText("name", i.Name, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText("owner", i.Owner, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("purpose", i.Purpose, MaxTextLen, false); err != nil {
		return err
	}
	if err := checkEnvironment(i.Environment); err != nil {
		return err
	}
	if err := ValidateLabels(i.Labels); err != nil {
		return err
	}
	if i.Labels == nil {
		i.Labels = map[string]string{}
	}
	if i.Status == "" {
		i.Status = StatusActive
	}
	if !i.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", i.Status, joinValues(Statuses))
	}
	return checkText("status_reason", i.StatusReason, MaxTextLen, false)
}

// ValidateLabels checks label keys and values: at most MaxLabels pairs, keys
// are slugs (letters, digits, '-', '_', '.', '/'), values are printable text.
func ValidateLabels(labels map[string]string) error {
	if len(labels) > MaxLabels {
		return FieldErrorf("labels", "at most %d labels are allowed, got %d", MaxLabels, len(labels))
	}
	for k, v := range labels {
		if !validLabelKey(k) {
			return FieldErrorf("labels", "label key %q must be 1-%d characters of letters, digits, '-', '_', '.' or '/'", k, MaxLabelKeyLen)
		}
		if err := checkText("labels."+k, v, MaxLabelValueLen, false); err != nil {
			return err
		}
	}
	return nil
}

// IdentityUpdate lists the fields of an identity that can be changed; nil
// fields are left alone. Kind, provider and external id never change: they
// are what the identity is.
type IdentityUpdate struct {
	Name         *string            `json:"name,omitempty"`
	Owner        *string            `json:"owner,omitempty"`
	Purpose      *string            `json:"purpose,omitempty"`
	Environment  *string            `json:"environment,omitempty"`
	Labels       *map[string]string `json:"labels,omitempty"` // replaces all labels
	Status       *Status            `json:"status,omitempty"` // active, quarantined or disabled; use Deprovision for the last state
	StatusReason *string            `json:"status_reason,omitempty"`
	// NextReviewAt sets the review date; ClearNextReview removes it.
	NextReviewAt    *time.Time `json:"next_review_at,omitempty"`
	ClearNextReview bool       `json:"-"`
	Managed         *bool      `json:"managed,omitempty"`
}

// Validate checks every non-nil field of the update.
func (u *IdentityUpdate) Validate() error {
	if u.Name != nil {
		if err := checkText("name", *u.Name, MaxNameLen, true); err != nil {
			return err
		}
	}
	if u.Owner != nil {
		if err := checkText("owner", *u.Owner, MaxNameLen, false); err != nil {
			return err
		}
	}
	if u.Purpose != nil {
		if err := checkText("purpose", *u.Purpose, MaxTextLen, false); err != nil {
			return err
		}
	}
	if u.Environment != nil {
		if err := checkEnvironment(*u.Environment); err != nil {
			return err
		}
	}
	if u.Labels != nil {
		if err := ValidateLabels(*u.Labels); err != nil {
			return err
		}
	}
	if u.Status != nil {
		switch *u.Status {
		case StatusActive, StatusQuarantined, StatusDisabled:
		case StatusDeprovisioned:
			return FieldErrorf("status", "use deprovision to deprovision an identity")
		default:
			return FieldErrorf("status", "status %q is not one of active, quarantined, disabled", *u.Status)
		}
	}
	if u.StatusReason != nil {
		if err := checkText("status_reason", *u.StatusReason, MaxTextLen, false); err != nil {
			return err
		}
	}
	return nil
}

// Empty reports whether the update changes nothing.
func (u *IdentityUpdate) Empty() bool {
	return u.Name == nil && u.Owner == nil && u.Purpose == nil && u.Environment == nil &&
		u.Labels == nil && u.Status == nil && u.StatusReason == nil && u.NextReviewAt == nil &&
		!u.ClearNextReview && u.Managed == nil
}

// Apply changes identity in place according to the update.
func (u *IdentityUpdate) Apply(identity *Identity) {
	if u.Name != nil {
		identity.Name = *u.Name
	}
	if u.Owner != nil {
		identity.Owner = *u.Owner
	}
	if u.Purpose != nil {
		identity.Purpose = *u.Purpose
	}
	if u.Environment != nil {
		identity.Environment = *u.Environment
	}
	if u.Labels != nil {
		identity.Labels = make(map[string]string, len(*u.Labels))
		for k, v := range *u.Labels {
			identity.Labels[k] = v
		}
	}
	if u.Status != nil {
		identity.Status = *u.Status
	}
	if u.StatusReason != nil {
		identity.StatusReason = *u.StatusReason
	}
	if u.NextReviewAt != nil {
		t := u.NextReviewAt.UTC().Truncate(time.Microsecond)
		identity.NextReviewAt = &t
	}
	if u.ClearNextReview {
		identity.NextReviewAt = nil
	}
	if u.Managed != nil {
		identity.Managed = *u.Managed
	}
}

// Sort orders accepted by IdentityFilter.Sort. A leading '-' means descending.
var IdentitySorts = []string{"name", "created_at", "updated_at", "last_used_at", "next_review_at", "risk_score"}

// IdentityFilter selects identities. Zero fields match everything.
type IdentityFilter struct {
	Kind        IdentityKind
	Provider    Provider
	Owner       string // exact owner
	Unowned     bool   // only identities without an owner
	Status      Status
	Environment string
	Managed     *bool
	Labels      map[string]string // every pair must match; an empty value matches any value of the key
	Query       string            // case-insensitive substring of name, external id, owner or purpose
	Sort        string            // one of IdentitySorts, optionally prefixed with '-'; default "created_at"
	Cursor      string            // opaque, from a previous page
	Limit       int               // page size; 0 means DefaultPageSize
	MinRisk     int               // only identities whose risk score is at least this (0-100); 0 matches all
}

// Validate checks the filter and normalises its page size.
func (f *IdentityFilter) Validate() error {
	if f.Kind != "" && !f.Kind.Valid() {
		return FieldErrorf("kind", "kind %q is not one of %s", f.Kind, joinValues(IdentityKinds))
	}
	if f.Provider != "" && !f.Provider.Valid() {
		return FieldErrorf("provider", "provider %q is not a valid provider name", f.Provider)
	}
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(Statuses))
	}
	if f.Unowned && f.Owner != "" {
		return FieldErrorf("owner", "owner and unowned cannot be combined")
	}
	for k := range f.Labels {
		if !validLabelKey(k) {
			return FieldErrorf("label", "label key %q is not valid", k)
		}
	}
	if f.MinRisk < 0 || f.MinRisk > 100 {
		return FieldErrorf("min_risk", "min_risk must be between 0 and 100, got %d", f.MinRisk)
	}
	if len(f.Query) > MaxNameLen {
		return FieldErrorf("q", "search text is longer than %d bytes", MaxNameLen)
	}
	if f.Sort == "" {
		f.Sort = "created_at"
	}
	if !contains(IdentitySorts, strings.TrimPrefix(f.Sort, "-")) {
		return FieldErrorf("sort", "sort %q is not one of %s (prefix '-' for descending)", f.Sort, strings.Join(IdentitySorts, ", "))
	}
	return normaliseLimit(&f.Limit)
}

// ImportResult counts what a bulk import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// IdentityService manages the inventory of identities. Every change writes
// an audit record in the same transaction, attributed to the actor in ctx.
type IdentityService interface {
	// FindIdentityByID returns ENOTFOUND if no identity has the id.
	FindIdentityByID(ctx context.Context, id string) (*Identity, error)

	// FindIdentityByRef resolves ref as an identity id or, failing that, as
	// an external id. provider narrows the external-id match; when it is
	// empty and several providers share the external id, ECONFLICT is
	// returned naming them. ENOTFOUND when nothing matches.
	FindIdentityByRef(ctx context.Context, ref string, provider Provider) (*Identity, error)

	// FindIdentities returns one page of identities matching the filter and
	// the cursor of the next page ("" on the last page). EINVALID for a bad
	// filter or cursor.
	FindIdentities(ctx context.Context, filter IdentityFilter) ([]*Identity, string, error)

	// CreateIdentity validates and stores a new identity, setting its ID and
	// timestamps. ECONFLICT if the provider already has the external id.
	CreateIdentity(ctx context.Context, identity *Identity) error

	// UpdateIdentity applies upd. ENOTFOUND for an unknown id; ECONFLICT if
	// the identity is deprovisioned.
	UpdateIdentity(ctx context.Context, id string, upd IdentityUpdate) (*Identity, error)

	// DeprovisionIdentity moves the identity to its terminal state and marks
	// its active credentials revoked. The record stays for history.
	DeprovisionIdentity(ctx context.Context, id string, reason string) (*Identity, error)
}

// IdentityBatchFinder finds several identities by id in one call, for
// lists that name the identity of each row (findings, decisions) without a
// query per row.
type IdentityBatchFinder interface {
	// FindIdentitiesByID returns the identities with these ids, by id;
	// unknown ids are left out. At most MaxPageSize ids per call.
	FindIdentitiesByID(ctx context.Context, ids []string) (map[string]*Identity, error)
}

// IdentityImporter upserts identities in bulk, keyed by provider and
// external id, in one transaction. Re-importing the same data changes
// nothing and reports every identity as unchanged. Owner, purpose, review
// date and status set in warden are kept when the import leaves them empty.
type IdentityImporter interface {
	ImportIdentities(ctx context.Context, identities []*Identity) (ImportResult, error)
}

func checkText(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if len(s) > max {
		return FieldErrorf(field, "%s is longer than %d bytes", field, max)
	}
	if !utf8.ValidString(s) {
		return FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return FieldErrorf(field, "%s contains a control character", field)
		}
	}
	return nil
}

func checkEnvironment(env string) error {
	if env == "" {
		return nil
	}
	if !validSlug(env, 32) {
		return FieldErrorf("environment", "environment %q must be 1-32 lower-case letters, digits, '-' or '_'", env)
	}
	return nil
}

func validSlug(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validLabelKey(k string) bool {
	if k == "" || len(k) > MaxLabelKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinValues[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}
