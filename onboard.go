package warden

import (
	"context"
	"strings"
	"time"
)

// OnboardingType says what an onboarding request asks for.
type OnboardingType string

// Onboarding request types: a new identity, or a claim of one warden
// discovered that nobody onboarded (Managed=false).
const (
	OnboardNew   OnboardingType = "new"
	OnboardClaim OnboardingType = "claim"
)

// OnboardingTypes lists every valid onboarding type.
var OnboardingTypes = []OnboardingType{OnboardNew, OnboardClaim}

// Valid reports whether t is one of OnboardingTypes.
func (t OnboardingType) Valid() bool { return contains(OnboardingTypes, t) }

// OnboardingStatus is where an onboarding request is in its life.
type OnboardingStatus string

// Onboarding statuses. Approved and denied are final: an approved request
// has created (or claimed) its identity, a denied one changed nothing.
const (
	OnboardPending  OnboardingStatus = "pending"
	OnboardApproved OnboardingStatus = "approved"
	OnboardDenied   OnboardingStatus = "denied"
)

// OnboardingStatuses lists every valid onboarding status.
var OnboardingStatuses = []OnboardingStatus{OnboardPending, OnboardApproved, OnboardDenied}

// Valid reports whether s is one of OnboardingStatuses.
func (s OnboardingStatus) Valid() bool { return contains(OnboardingStatuses, s) }

// Labels an onboarded identity carries.
const (
	// LabelTeam is the owning team (Identity.Team reads it).
	LabelTeam = "team"
	// LabelOnboardingRequest names the request that onboarded the identity.
	LabelOnboardingRequest = "onboarding-request"
	// LabelExpires is the date (RFC 3339) a new identity was asked to
	// live until.
	LabelExpires = "expires-at"
)

// Limits on onboarding requests.
const (
	MaxOnboardingPermissions = 64
	// MaxReviewIntervalDays bounds the review interval: every identity
	// is reviewed at least every two years.
	MaxReviewIntervalDays = 730
	// MaxOnboardingExpiry bounds how far ahead a new identity's expiry
	// may be.
	MaxOnboardingExpiry = 2 * 366 * 24 * time.Hour
)

// OnboardingEntry is what a warden workload's registration entry needs
// besides its SPIFFE ID (the request's external id) and identity: how the
// workload attests, and what its credentials carry. The entry's OAuth
// scopes are the request's permissions.
type OnboardingEntry struct {
	Method     string            `json:"method"` // AttestJoinToken or AttestOIDC
	OIDCIssuer string            `json:"oidc_issuer,omitempty"`
	Selectors  map[string]string `json:"selectors,omitempty"`
	X509TTL    Duration          `json:"x509_ttl,omitempty"`
	JWTTTL     Duration          `json:"jwt_ttl,omitempty"`
	Audiences  []string          `json:"audiences,omitempty"`
}

// OnboardingApproval is one approver's answer to an onboarding request.
type OnboardingApproval struct {
	Approver   string    `json:"approver"`    // actor, e.g. token:0193...(bob)
	ApproverID string    `json:"approver_id"` // token id
	Decision   string    `json:"decision"`    // "approve" or "deny"
	Comment    string    `json:"comment,omitempty"`
	Time       time.Time `json:"time"`
}

// OnboardingRequest asks for a new managed identity (type new) or claims
// a discovered, not onboarded one (type claim). The onboarding policy
// decides it: approved at once, or routed to approvers. Approval creates
// the identity (and, for a warden workload, its registration entry) or
// updates the claimed one, in the same transaction as the request.
type OnboardingRequest struct {
	ID     string           `json:"id"`
	Type   OnboardingType   `json:"type"`
	Status OnboardingStatus `json:"status"`
	// Kind, Provider, ExternalID and Name describe the new identity; for
	// a claim they are copied from the claimed identity.
	Kind       IdentityKind `json:"kind"`
	Provider   Provider     `json:"provider"`
	ExternalID string       `json:"external_id"`
	Name       string       `json:"name"`
	// IdentityID is the claimed identity, or the one an approved new
	// request created ("" until then).
	IdentityID string `json:"identity_id,omitempty"`
	// EntryID is the registration entry created for a warden workload.
	EntryID string `json:"entry_id,omitempty"`
	Purpose string `json:"purpose"`
	// Team is the owning team (always the identity's "team" label);
	// Owner the owning person, when one answers for it. The identity's
	// Owner is the person when given, else the team.
	Team        string            `json:"team"`
	Owner       string            `json:"owner,omitempty"`
	Environment string            `json:"environment"`
	Permissions []string          `json:"permissions"`
	Labels      map[string]string `json:"labels"`
	// ReviewIntervalDays and ExpiresAt set the identity's first review:
	// NextReviewAt is the earlier of approval + interval and the expiry.
	ReviewIntervalDays int              `json:"review_interval_days,omitempty"`
	ExpiresAt          *time.Time       `json:"expires_at,omitempty"`
	Entry              *OnboardingEntry `json:"entry,omitempty"`
	// RiskScore is the claimed identity's risk score when it was claimed.
	RiskScore int `json:"risk_score"`
	// Requester is the actor that asked; RequesterID its token id, for
	// the self-approval check.
	Requester   string `json:"requester"`
	RequesterID string `json:"requester_id"`
	// RequesterName is the requester's token name: a person's other
	// token, named the same, cannot approve either.
	RequesterName     string               `json:"requester_name,omitempty"`
	RequiredApprovals int                  `json:"required_approvals"`
	Approvals         []OnboardingApproval `json:"approvals"`
	// Decision says what decided the request: the onboarding policies
	// that approved or denied it, the approvers.
	Decision  string     `json:"decision"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// OwnerOf is the identity owner an onboarding names: the person when
// given, else the team.
func OwnerOf(owner, team string) string {
	if strings.TrimSpace(owner) != "" {
		return owner
	}
	return team
}

// WardenWorkload reports whether the request is for a warden-issued
// workload identity, which gets a registration entry.
func (r *OnboardingRequest) WardenWorkload() bool {
	return r.Provider == ProviderWarden && r.Kind == KindWorkload
}

// Validate checks a request before it is stored, naming the first bad
// field.
func (r *OnboardingRequest) Validate() error {
	if !r.Type.Valid() {
		return FieldErrorf("type", "type %q is not one of %s", r.Type, joinValues(OnboardingTypes))
	}
	if r.Status != "" && !r.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", r.Status, joinValues(OnboardingStatuses))
	}
	if !r.Kind.Valid() {
		return FieldErrorf("kind", "kind %q is not one of %s", r.Kind, joinValues(IdentityKinds))
	}
	if !r.Provider.Valid() {
		return FieldErrorf("provider", "provider %q must be 1-32 lower-case letters, digits, '-' or '_'", clipText(string(r.Provider), 32))
	}
	if err := checkText("external_id", r.ExternalID, MaxExternalIDLen, true); err != nil {
		return err
	}
	if err := checkText("name", r.Name, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText("purpose", r.Purpose, MaxTextLen, true); err != nil {
		return err
	}
	if err := checkText("team", r.Team, MaxLabelValueLen, true); err != nil {
		return err
	}
	if err := checkText("owner", r.Owner, MaxNameLen, false); err != nil {
		return err
	}
	if strings.TrimSpace(r.Environment) == "" {
		return FieldErrorf("environment", "environment is required (prod, staging, dev, ...): the policy decides by it")
	}
	if err := checkEnvironment(r.Environment); err != nil {
		return err
	}
	if err := ValidateLabels(r.Labels); err != nil {
		return err
	}
	for k := range r.Labels {
		if k == LabelTeam || k == LabelOnboardingRequest || k == LabelExpires {
			return FieldErrorf("labels", "label %q is set by onboarding itself: use the team field for the team", k)
		}
	}
	if r.ReviewIntervalDays < 0 || r.ReviewIntervalDays > MaxReviewIntervalDays {
		return FieldErrorf("review_interval", "review interval must be 1-%d days", MaxReviewIntervalDays)
	}
	if r.Type == OnboardClaim {
		return r.validateClaim()
	}
	return r.validateNew()
}

func (r *OnboardingRequest) validateNew() error {
	if r.IdentityID != "" && r.Status == OnboardPending {
		return FieldErrorf("identity_id", "a new identity has no id until it is approved")
	}
	if len(r.Permissions) == 0 {
		return FieldErrorf("permissions", "name at least one permission or scope the identity needs, e.g. s3:GetObject: approvers and policy decide by them")
	}
	if len(r.Permissions) > MaxOnboardingPermissions {
		return FieldErrorf("permissions", "at most %d permissions are allowed", MaxOnboardingPermissions)
	}
	for _, p := range r.Permissions {
		if err := checkScopeItem("permissions", p); err != nil {
			return err
		}
	}
	if r.ReviewIntervalDays == 0 && r.ExpiresAt == nil {
		return FieldErrorf("review_interval", "give a review interval or an expiry: every new identity has a date someone looks at it again")
	}
	if r.WardenWorkload() {
		if err := ValidateSPIFFEID(r.ExternalID); err != nil {
			return FieldErrorf("external_id", "a warden workload's external id is its SPIFFE ID: %s", ErrorMessage(err))
		}
		if r.Entry == nil {
			return FieldErrorf("entry", "a warden workload needs a registration entry: give its attestation method (join_token or oidc)")
		}
		e := r.entry("placeholder")
		if err := e.Validate(); err != nil {
			field := ErrorField(err)
			if field == "" || field == "spiffe_id" {
				field = "external_id"
			} else if field != "scopes" {
				field = "entry." + field
			} else {
				field = "permissions"
			}
			return FieldErrorf(field, "%s", ErrorMessage(err))
		}
	} else if r.Entry != nil {
		return FieldErrorf("entry", "only warden workloads (provider warden, kind workload) get a registration entry")
	}
	return nil
}

func (r *OnboardingRequest) validateClaim() error {
	if strings.TrimSpace(r.IdentityID) == "" {
		return FieldErrorf("identity", "identity is required: name the identity you claim (id or external id)")
	}
	if r.Entry != nil || len(r.Permissions) > 0 {
		return FieldErrorf("entry", "a claim changes who answers for an identity, not what it may do: leave out permissions and entry")
	}
	if r.ExpiresAt != nil {
		return FieldErrorf("expires", "a claim sets no expiry: use a review interval")
	}
	return nil
}

// NewIdentity is the managed identity an approved new request creates at
// now: owned by the person (else the team), labelled with the team and
// the request, first reviewed at the earlier of now + interval and the
// expiry.
func (r *OnboardingRequest) NewIdentity(now time.Time) *Identity {
	labels := make(map[string]string, len(r.Labels)+3)
	for k, v := range r.Labels {
		labels[k] = v
	}
	labels[LabelTeam] = r.Team
	labels[LabelOnboardingRequest] = r.ID
	if r.ExpiresAt != nil {
		labels[LabelExpires] = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return &Identity{
		Kind: r.Kind, Provider: r.Provider, ExternalID: r.ExternalID, Name: r.Name,
		Owner: OwnerOf(r.Owner, r.Team), Purpose: r.Purpose, Environment: r.Environment,
		Labels: labels, Status: StatusActive, Managed: true, NextReviewAt: r.firstReview(now),
	}
}

// ClaimUpdate is the change an approved claim makes to the identity
// (whose current labels are labels) at now.
func (r *OnboardingRequest) ClaimUpdate(labels map[string]string, now time.Time) IdentityUpdate {
	next := make(map[string]string, len(labels)+2)
	for k, v := range labels {
		next[k] = v
	}
	for k, v := range r.Labels {
		next[k] = v
	}
	next[LabelTeam] = r.Team
	next[LabelOnboardingRequest] = r.ID
	owner, managed := OwnerOf(r.Owner, r.Team), true
	upd := IdentityUpdate{Owner: &owner, Purpose: &r.Purpose, Environment: &r.Environment, Labels: &next, Managed: &managed}
	upd.NextReviewAt = r.firstReview(now)
	return upd
}

func (r *OnboardingRequest) firstReview(now time.Time) *time.Time {
	var next *time.Time
	if r.ReviewIntervalDays > 0 {
		t := now.Add(time.Duration(r.ReviewIntervalDays) * 24 * time.Hour).UTC()
		next = &t
	}
	if r.ExpiresAt != nil && (next == nil || r.ExpiresAt.Before(*next)) {
		t := r.ExpiresAt.UTC()
		next = &t
	}
	return next
}

// RegistrationEntry is the entry of an approved warden workload request,
// for the identity with id identityID.
func (r *OnboardingRequest) RegistrationEntry(identityID string) *RegistrationEntry {
	return r.entry(identityID)
}

func (r *OnboardingRequest) entry(identityID string) *RegistrationEntry {
	if r.Entry == nil {
		return nil
	}
	selectors := make(map[string]string, len(r.Entry.Selectors))
	for k, v := range r.Entry.Selectors {
		selectors[k] = v
	}
	return &RegistrationEntry{
		SPIFFEID: r.ExternalID, IdentityID: identityID, Method: r.Entry.Method, OIDCIssuer: r.Entry.OIDCIssuer,
		Selectors: selectors, X509TTL: r.Entry.X509TTL, JWTTTL: r.Entry.JWTTTL,
		Audiences: append([]string(nil), r.Entry.Audiences...), Scopes: append([]string(nil), r.Permissions...),
	}
}

// OnboardingFilter selects onboarding requests, newest first.
type OnboardingFilter struct {
	Type       OnboardingType
	Status     OnboardingStatus
	IdentityID string
	Cursor     string
	Limit      int
}

// Validate checks the filter and fills in the default page size.
func (f *OnboardingFilter) Validate() error {
	if f.Type != "" && !f.Type.Valid() {
		return FieldErrorf("type", "type %q is not one of %s", f.Type, joinValues(OnboardingTypes))
	}
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(OnboardingStatuses))
	}
	return normaliseLimit(&f.Limit)
}

// OnboardingEffect is what deciding a request changes in the inventory,
// applied by the store in the request's own transaction: create a managed
// identity (and its registration entry), or update a claimed identity.
// When any part fails, nothing is written: the request keeps its old
// state.
type OnboardingEffect struct {
	// Create is the identity an approved new request creates; Entry, when
	// set, its registration entry (the store fills in its IdentityID).
	Create *Identity
	Entry  *RegistrationEntry
	// Claim builds the update of the identity an approved claim names
	// (request IdentityID) from that identity as the transaction reads
	// it; the store refuses it with ECONFLICT when the identity is
	// onboarded already or deprovisioned.
	Claim func(current *Identity) IdentityUpdate
}

// OnboardingStore persists onboarding requests. Every change is audited
// in its transaction, together with the identity and entry it creates.
type OnboardingStore interface {
	// CreateOnboardingRequest stores a new request (ID and CreatedAt set
	// by the store), audited as action; a non-nil effect (a request the
	// policy approved at once) is applied in the same transaction and its
	// identity and entry ids recorded on the request.
	CreateOnboardingRequest(ctx context.Context, r *OnboardingRequest, action string, effect *OnboardingEffect) error
	FindOnboardingRequest(ctx context.Context, id string) (*OnboardingRequest, error)
	FindOnboardingRequests(ctx context.Context, f OnboardingFilter) ([]*OnboardingRequest, string, error)
	// UpdateOnboardingRequest reads the request, lets fn change it and
	// writes it back with an audit record (before/after), applying the
	// effect fn returns, all in one transaction serialised with every
	// other audited writer; fn's or the effect's error aborts it all.
	UpdateOnboardingRequest(ctx context.Context, id, action string, fn func(r *OnboardingRequest) (*OnboardingEffect, error)) (*OnboardingRequest, error)
}

// OnboardingInput asks for a new identity, as a caller sends it.
type OnboardingInput struct {
	Kind        IdentityKind      `json:"kind"`
	Provider    Provider          `json:"provider"`
	ExternalID  string            `json:"external_id"`
	Name        string            `json:"name"`
	Purpose     string            `json:"purpose"`
	Team        string            `json:"team"`
	Owner       string            `json:"owner,omitempty"`
	Environment string            `json:"environment"`
	Permissions []string          `json:"permissions"`
	Labels      map[string]string `json:"labels,omitempty"`
	// ReviewInterval is how often the identity is reviewed ("90d");
	// Expires when it should end: a date (2027-06-30), an RFC 3339 time
	// or a duration from now ("180d"). At least one is required.
	ReviewInterval string           `json:"review_interval,omitempty"`
	Expires        string           `json:"expires,omitempty"`
	Entry          *OnboardingEntry `json:"entry,omitempty"`
}

// ClaimInput claims a discovered identity that nobody onboarded.
type ClaimInput struct {
	// Identity names it: id or external id (Provider narrows the match).
	Identity       string            `json:"identity"`
	Provider       Provider          `json:"provider,omitempty"`
	Owner          string            `json:"owner,omitempty"`
	Team           string            `json:"team"`
	Purpose        string            `json:"purpose"`
	Environment    string            `json:"environment"`
	Labels         map[string]string `json:"labels,omitempty"`
	ReviewInterval string            `json:"review_interval,omitempty"`
}

// OnboardingService runs onboarding: anyone with a token asks for a new
// identity or claims a discovered one; the onboarding policy (Cedar)
// approves low-risk requests at once and routes the others to approvers;
// the requester never approves their own request and each approver counts
// once. The caller is the actor in ctx (an API token).
type OnboardingService interface {
	// RequestOnboarding stores the request as the policy decides it;
	// an approval at once creates the identity in the same transaction.
	// ECONFLICT when the provider has the external id already.
	RequestOnboarding(ctx context.Context, in OnboardingInput) (*OnboardingRequest, error)
	// ClaimIdentity asks to onboard an existing identity. ENOTFOUND-style
	// EINVALID for an unknown identity, ECONFLICT when it is onboarded
	// already or has a pending claim.
	ClaimIdentity(ctx context.Context, in ClaimInput) (*OnboardingRequest, error)
	// ApproveOnboarding records an approval; the last one needed applies
	// the request. EFORBIDDEN for the requester, ECONFLICT for a second
	// answer or a request that is not pending.
	ApproveOnboarding(ctx context.Context, id, comment string) (*OnboardingRequest, error)
	// DenyOnboarding denies a pending request; nothing else changes.
	DenyOnboarding(ctx context.Context, id, comment string) (*OnboardingRequest, error)
	FindOnboardingRequest(ctx context.Context, id string) (*OnboardingRequest, error)
	FindOnboardingRequests(ctx context.Context, f OnboardingFilter) ([]*OnboardingRequest, string, error)
}
