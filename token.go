package warden

import (
	"context"
	"time"
)

// Role is what an API token may do.
type Role string

// Roles of API tokens.
const (
	RoleAdmin    Role = "admin"    // everything, including managing tokens
	RoleOperator Role = "operator" // read and change the inventory
	RoleAuditor  Role = "auditor"  // read-only, including the audit log
	RoleApprover Role = "approver" // read the inventory and approve access requests
	// RoleBreakGlass tokens grant nothing on their own: they are the second
	// factor a person presents (X-Warden-Break-Glass) beside their own
	// token to take emergency access without approval.
	RoleBreakGlass Role = "breakglass"
)

// Roles lists every valid role.
var Roles = []Role{RoleAdmin, RoleOperator, RoleAuditor, RoleApprover, RoleBreakGlass}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return contains(Roles, r) }

// Permission is one right checked by the API before a handler runs.
type Permission string

// Permissions.
const (
	PermInventoryRead  Permission = "inventory:read"
	PermInventoryWrite Permission = "inventory:write"
	PermAuditRead      Permission = "audit:read"
	PermTokensManage   Permission = "tokens:manage"
	PermMetricsRead    Permission = "metrics:read"
	PermAccessApprove  Permission = "access:approve"
	// PermAccessRequest asks for just-in-time access and break-glass.
	PermAccessRequest Permission = "access:request"
	// PermPolicyRead reads policy versions, entities and the decision log.
	PermPolicyRead Permission = "policy:read"
	// PermPolicyWrite pushes, activates and rolls back policies and
	// stores policy entities.
	PermPolicyWrite Permission = "policy:write"
	// PermAuthorize asks the decision point for decisions: the permission
	// of the API token a proxy (nginx) or a service uses to ask.
	PermAuthorize Permission = "authorize"
	// PermIssuerRead lists registration entries and issued credentials.
	PermIssuerRead Permission = "issuer:read"
	// PermIssuerManage creates and deletes registration entries, makes
	// join tokens and revokes issued credentials.
	PermIssuerManage Permission = "issuer:manage"
	// PermOnboardRequest asks for a new identity, or claims a discovered
	// one: anyone with a token (but a break-glass token) may ask.
	PermOnboardRequest Permission = "onboard:request"
	// PermReviewAnswer answers review campaign items (keep, reduce,
	// remove) and accepts or rejects owner suggestions.
	PermReviewAnswer Permission = "review:answer"
)

var rolePermissions = map[Role][]Permission{
	RoleAdmin:    {PermInventoryRead, PermInventoryWrite, PermAuditRead, PermTokensManage, PermMetricsRead, PermAccessApprove, PermAccessRequest, PermPolicyRead, PermPolicyWrite, PermAuthorize, PermIssuerRead, PermIssuerManage, PermOnboardRequest, PermReviewAnswer},
	RoleOperator: {PermInventoryRead, PermInventoryWrite, PermAuditRead, PermMetricsRead, PermAccessRequest, PermPolicyRead, PermPolicyWrite, PermAuthorize, PermIssuerRead, PermIssuerManage, PermOnboardRequest, PermReviewAnswer},
	RoleAuditor:  {PermInventoryRead, PermAuditRead, PermMetricsRead, PermPolicyRead, PermIssuerRead, PermOnboardRequest},
	RoleApprover: {PermInventoryRead, PermAccessApprove, PermAccessRequest, PermOnboardRequest, PermReviewAnswer},
}

// Can reports whether the role grants the permission.
func (r Role) Can(p Permission) bool { return contains(rolePermissions[r], p) }

// APIToken is an administrative API credential. The secret is shown once,
// at creation; warden stores only its SHA-256 hash.
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"` // first characters of the secret, to recognise it
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// TokenService manages API tokens.
type TokenService interface {
	// CreateToken makes a token with the role and returns it with its secret,
	// which is never retrievable again. EINVALID for an unknown role.
	CreateToken(ctx context.Context, name string, role Role) (*APIToken, string, error)

	// AuthenticateToken returns the live token whose secret this is;
	// EUNAUTHORIZED for an unknown, malformed or revoked secret.
	AuthenticateToken(ctx context.Context, secret string) (*APIToken, error)

	// FindTokens lists all tokens, revoked ones included, oldest first.
	FindTokens(ctx context.Context) ([]*APIToken, error)

	// RevokeToken revokes a token. ENOTFOUND for an unknown id; revoking a
	// revoked token is a no-op.
	RevokeToken(ctx context.Context, id string) (*APIToken, error)
}
