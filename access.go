package warden

import (
	"context"
	"strings"
	"time"
)

// AccessStatus is where an access request is in its life.
type AccessStatus string

// Access request statuses. Approved means the request is a grant, active
// from StartsAt until ExpiresAt; denied, revoked and expired are final.
const (
	AccessPending  AccessStatus = "pending"
	AccessApproved AccessStatus = "approved"
	AccessDenied   AccessStatus = "denied"
	AccessRevoked  AccessStatus = "revoked"
	AccessExpired  AccessStatus = "expired"
)

// AccessStatuses lists every valid access status.
var AccessStatuses = []AccessStatus{AccessPending, AccessApproved, AccessDenied, AccessRevoked, AccessExpired}

// Valid reports whether s is one of AccessStatuses.
func (s AccessStatus) Valid() bool { return contains(AccessStatuses, s) }

// Requester kinds: who asked for access.
const (
	RequesterPerson   = "person"   // an API token held by a person
	RequesterWorkload = "workload" // a workload with a warden-issued token
	RequesterAgent    = "agent"    // an AI agent: a workload acting for someone, with a task
)

// Limits on access requests.
const (
	MaxAccessScopeItems   = 32
	MaxAccessScopeItemLen = 512
	// MinBreakGlassReason is the shortest reason break-glass accepts: an
	// emergency has to be explained, not just named.
	MinBreakGlassReason = 20
)

// AccessScope is what an access request asks for: a named role, or a set
// of actions on a set of resources (any of the actions on any of the
// resources). Actions are Cedar action ids ("s3:PutObject", "write");
// resources are Cedar entity references written Type::id
// ("Bucket::invoices", "Acme::Table::orders"), Type::* for every entity of
// a type, or * for any. A trailing * in an action matches a prefix
// ("s3:Get*").
type AccessScope struct {
	Role      string   `json:"role,omitempty"`
	Actions   []string `json:"actions,omitempty"`
	Resources []string `json:"resources,omitempty"`
}

// Validate checks the scope: a role, or at least one action (resources
// default to any).
func (s *AccessScope) Validate() error {
	if s.Role == "" && len(s.Actions) == 0 {
		return FieldErrorf("scope", "scope needs a role or at least one action")
	}
	if s.Role != "" && !validRoleName(s.Role) {
		return FieldErrorf("scope.role", "role %q must be 1-64 letters, digits, '-', '_', '.' or ':'", clipText(s.Role, 64))
	}
	if len(s.Actions) > MaxAccessScopeItems || len(s.Resources) > MaxAccessScopeItems {
		return FieldErrorf("scope", "at most %d actions and %d resources are allowed", MaxAccessScopeItems, MaxAccessScopeItems)
	}
	for _, a := range s.Actions {
		if err := checkScopeItem("scope.actions", a); err != nil {
			return err
		}
	}
	for _, r := range s.Resources {
		if err := checkScopeItem("scope.resources", r); err != nil {
			return err
		}
		if r != "*" {
			if _, _, ok := SplitResourceRef(r); !ok {
				return FieldErrorf("scope.resources", "resource %q must be Type::id, Type::* or *", clipText(r, 64))
			}
		}
	}
	return nil
}

// Strings renders the scope as OAuth scope tokens, the form a grant's
// token carries: "role:NAME", "action:ID" and "resource:Type::id".
func (s *AccessScope) Strings() []string {
	var out []string
	if s.Role != "" {
		out = append(out, "role:"+s.Role)
	}
	for _, a := range s.Actions {
		out = append(out, "action:"+a)
	}
	for _, r := range s.Resources {
		out = append(out, "resource:"+r)
	}
	return out
}

// checkScopeItem refuses what an OAuth scope token cannot carry (RFC 6749
// §3.3: no space, '"' or '\') and control characters.
func checkScopeItem(field, v string) error {
	if v == "" || len(v) > MaxAccessScopeItemLen {
		return FieldErrorf(field, "each item must be 1-%d bytes", MaxAccessScopeItemLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return FieldErrorf(field, "%q contains a space, quote, backslash or control character", clipText(v, 64))
		}
	}
	return nil
}

// SplitResourceRef splits a scope resource written Type::id into its
// Cedar entity type and id. The type is the longest run of identifier
// segments each followed by "::", so ids may contain colons
// ("S3Object::arn:aws:s3:::invoices/2026").
func SplitResourceRef(ref string) (typ, id string, ok bool) {
	i := 0
	end := -1
	for {
		j := i
		for j < len(ref) && (ref[j] == '_' || ref[j] >= 'a' && ref[j] <= 'z' || ref[j] >= 'A' && ref[j] <= 'Z' || j > i && ref[j] >= '0' && ref[j] <= '9') {
			j++
		}
		if j == i || !strings.HasPrefix(ref[j:], "::") {
			break
		}
		end = j
		i = j + 2
	}
	if end < 0 || i >= len(ref) {
		return "", "", false
	}
	return ref[:end], ref[i:], true
}

func validRoleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// AccessApproval is one approver's answer to a request.
type AccessApproval struct {
	Approver   string    `json:"approver"`    // actor, e.g. token:0193...(alice)
	ApproverID string    `json:"approver_id"` // token id
	Decision   string    `json:"decision"`    // "approve" or "deny"
	Comment    string    `json:"comment,omitempty"`
	Time       time.Time `json:"time"`
}

// AccessReview is the after-the-fact review every break-glass grant needs.
type AccessReview struct {
	Status     string     `json:"status"`            // "pending" or "done"
	Outcome    string     `json:"outcome,omitempty"` // "justified" or "unjustified"
	Reviewer   string     `json:"reviewer,omitempty"`
	Notes      string     `json:"notes,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
}

// Review outcomes.
const (
	ReviewJustified   = "justified"
	ReviewUnjustified = "unjustified"
)

// AccessRequest is a request for time-bound access and, once approved, the
// grant it became. The decision point sees an active grant as entity data
// of its identity (principal.grants); tokens minted for the grant carry
// exactly its scope and expire with it.
type AccessRequest struct {
	ID         string `json:"id"`
	IdentityID string `json:"identity_id"` // the identity that gets the access
	// Requester is the actor that asked (token:..., workload:...);
	// RequesterID its token or identity id, for the self-approval check.
	Requester     string `json:"requester"`
	RequesterID   string `json:"requester_id"`
	RequesterKind string `json:"requester_kind"`
	// OnBehalfOf is the principal an agent acts for; Task what it is doing.
	OnBehalfOf string      `json:"on_behalf_of,omitempty"`
	Task       string      `json:"task,omitempty"`
	Scope      AccessScope `json:"scope"`
	// DurationSeconds is how long the grant lasts once approved.
	DurationSeconds   int64            `json:"duration_seconds"`
	Reason            string           `json:"reason"`
	BreakGlass        bool             `json:"break_glass"`
	Status            AccessStatus     `json:"status"`
	RequiredApprovals int              `json:"required_approvals"`
	Approvals         []AccessApproval `json:"approvals"`
	// Decision says what decided the request: the access policy that
	// auto-approved or denied it, the approvers, break-glass.
	Decision  string     `json:"decision"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	StartsAt  *time.Time `json:"starts_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
	// Review is the mandatory after-the-fact review of a break-glass grant.
	Review *AccessReview `json:"review,omitempty"`
	// Tokens are the ids (jti) of the tokens minted for the grant.
	Tokens []string `json:"tokens"`
}

// Active reports whether the request is a grant in force at t.
func (r *AccessRequest) Active(t time.Time) bool {
	return r.Status == AccessApproved && r.StartsAt != nil && r.ExpiresAt != nil &&
		!t.Before(*r.StartsAt) && t.Before(*r.ExpiresAt)
}

// Validate checks a new request before it is stored.
func (r *AccessRequest) Validate() error {
	if r.IdentityID == "" {
		return FieldErrorf("identity", "identity is required: name the identity that gets the access")
	}
	if err := r.Scope.Validate(); err != nil {
		return err
	}
	if r.DurationSeconds <= 0 {
		return FieldErrorf("duration", "duration must be positive")
	}
	if err := checkText("reason", r.Reason, MaxTextLen, true); err != nil {
		return err
	}
	if r.BreakGlass && len(strings.TrimSpace(r.Reason)) < MinBreakGlassReason {
		return FieldErrorf("reason", "break-glass needs a reason of at least %d characters: say what is broken and why normal access will not do", MinBreakGlassReason)
	}
	if err := checkText("task", r.Task, MaxTextLen, false); err != nil {
		return err
	}
	if err := checkText("on_behalf_of", r.OnBehalfOf, MaxExternalIDLen, false); err != nil {
		return err
	}
	switch r.RequesterKind {
	case RequesterPerson, RequesterWorkload, RequesterAgent:
	default:
		return FieldErrorf("requester_kind", "requester kind %q is not person, workload or agent", r.RequesterKind)
	}
	return nil
}

// AccessRequestFilter selects access requests, newest first.
type AccessRequestFilter struct {
	IdentityID string
	Status     AccessStatus
	// NeedsReview selects break-glass grants whose review is pending.
	NeedsReview bool
	Cursor      string
	Limit       int
}

// AccessStore persists access requests and grants. Every change is
// audited in its transaction.
type AccessStore interface {
	// CreateAccessRequest stores a new request (its ID and CreatedAt set
	// by the store), audited as action.
	CreateAccessRequest(ctx context.Context, r *AccessRequest, action string) error
	FindAccessRequest(ctx context.Context, id string) (*AccessRequest, error)
	FindAccessRequests(ctx context.Context, f AccessRequestFilter) ([]*AccessRequest, string, error)
	// UpdateAccessRequest reads the request, lets fn change it and writes
	// it back with an audit record (before/after), all in one transaction
	// that serialises with every other audited writer; fn's error aborts.
	UpdateAccessRequest(ctx context.Context, id, action string, fn func(r *AccessRequest) error) (*AccessRequest, error)
	// FindActiveGrants returns the identity's approved grants in force at t.
	FindActiveGrants(ctx context.Context, identityID string, t time.Time) ([]*AccessRequest, error)
	// FindLapsedGrants returns approved grants whose end is at or before t.
	FindLapsedGrants(ctx context.Context, t time.Time, limit int) ([]*AccessRequest, error)
}

// AccessInput is a request for access as a caller sends it.
type AccessInput struct {
	// Identity names the identity that gets the access (id or external
	// id); a workload or agent asking for itself may leave it empty.
	Identity   string      `json:"identity"`
	Scope      AccessScope `json:"scope"`
	Duration   string      `json:"duration"` // "30m", "2h", "1d"
	Reason     string      `json:"reason"`
	Task       string      `json:"task,omitempty"`
	OnBehalfOf string      `json:"on_behalf_of,omitempty"`
	// Audience is the audience of the token minted for a workload's grant.
	Audience []string `json:"audience,omitempty"`
}

// GrantToken is a short-lived token minted for a grant.
type GrantToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type"`
	ExpiresAt   time.Time `json:"expires_at"`
	Scope       []string  `json:"scope"`
	ID          string    `json:"jti"`
}

// AccessService runs access requests: policy decides, approvers approve,
// grants expire by themselves, break-glass bypasses approval and is always
// reviewed. The caller is the actor in ctx.
type AccessService interface {
	// RequestAccess stores the request as the access policy decides it.
	// A granted workload request that names an audience comes with its
	// token; when that token cannot be minted, the stored request is
	// returned with the error.
	RequestAccess(ctx context.Context, in AccessInput) (*AccessRequest, *GrantToken, error)
	ApproveAccess(ctx context.Context, id, comment string) (*AccessRequest, error)
	DenyAccess(ctx context.Context, id, comment string) (*AccessRequest, error)
	RevokeAccess(ctx context.Context, id, reason string) (*AccessRequest, error)
	BreakGlass(ctx context.Context, in AccessInput) (*AccessRequest, error)
	ReviewAccess(ctx context.Context, id, outcome, notes string) (*AccessRequest, error)
	// GrantToken mints a token for an active grant of the calling workload.
	GrantToken(ctx context.Context, id string, audience []string) (*GrantToken, error)
	FindAccessRequest(ctx context.Context, id string) (*AccessRequest, error)
	FindAccessRequests(ctx context.Context, f AccessRequestFilter) ([]*AccessRequest, string, error)
	// GrantUsage reads from the decision log what a grant was used for.
	GrantUsage(ctx context.Context, id string) (*AccessUsage, error)
}

// Validate checks the filter and fills in the default page size.
func (f *AccessRequestFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(AccessStatuses))
	}
	return normaliseLimit(&f.Limit)
}

// AccessCaller is who calls the access service, as the API authenticated
// them: a person's API token (the Actor), or a workload or agent that
// presented a warden-issued token.
type AccessCaller struct {
	Actor Actor
	Kind  string // RequesterPerson, RequesterWorkload or RequesterAgent
	// IdentityID and TokenID are the identity and jti of a workload's or
	// agent's token; Actors its delegation chain (the agent first).
	IdentityID string
	TokenID    string
	Actors     []string
	// BreakGlassToken names the break-glass token a person presented as
	// the second factor of an emergency request ("" when none).
	BreakGlassToken string
}

type accessCallerKey struct{}

// NewContextWithAccessCaller returns a context carrying the caller.
func NewContextWithAccessCaller(ctx context.Context, c *AccessCaller) context.Context {
	return context.WithValue(ctx, accessCallerKey{}, c)
}

// AccessCallerFromContext returns the caller in ctx; without one it is a
// person named by the context's actor.
func AccessCallerFromContext(ctx context.Context) *AccessCaller {
	if c, ok := ctx.Value(accessCallerKey{}).(*AccessCaller); ok && c != nil {
		return c
	}
	return &AccessCaller{Actor: ActorFromContext(ctx), Kind: RequesterPerson}
}

// GrantTokenRequest asks the issuer for a token for a grant.
type GrantTokenRequest struct {
	// SubjectTokenID is the jti of the token the workload authenticated
	// with; the new token is minted for the same registration entry.
	SubjectTokenID string
	GrantID        string
	Scope          []string
	Audience       []string
	ExpiresAt      time.Time
}

// GrantTokenMinter mints the down-scoped tokens of grants (the issuer).
type GrantTokenMinter interface {
	MintGrantToken(ctx context.Context, req GrantTokenRequest) (*GrantToken, error)
}

// GrantPolicyID is the decision point's built-in policy that permits what
// an active grant covers. Every decision it determines is logged, so the
// decision log shows what each grant was used for.
const GrantPolicyID = "guardrail.access-grant"

// AccessUsage is what a grant was used for: the decisions it determined
// (policy guardrail.access-grant) during its time, by action and resource.
type AccessUsage struct {
	GrantID   string            `json:"grant_id"`
	Since     time.Time         `json:"since"`
	Until     time.Time         `json:"until"`
	Decisions int               `json:"decisions"`
	Uses      []*AccessUseCount `json:"uses"`
	// Truncated is set when more decisions were logged than were read.
	Truncated bool `json:"truncated"`
}

// AccessUseCount counts the decisions a grant allowed for one action on
// one resource.
type AccessUseCount struct {
	Action   string    `json:"action"`
	Resource string    `json:"resource"`
	Count    int       `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}
