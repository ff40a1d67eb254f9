package warden

import (
	"context"
	"encoding/json"
)

// GrantKind says whether a grant is something the identity may do, or
// someone who may become (assume, impersonate) the identity.
type GrantKind string

// Grant kinds.
const (
	// GrantPermission: the identity may perform Actions on Resources
	// (an IAM policy statement, an RBAC rule, an OAuth scope).
	GrantPermission GrantKind = "permission"
	// GrantTrust: Principals may assume or impersonate the identity (an IAM
	// role trust policy statement, an OIDC federation, a workload binding).
	GrantTrust GrantKind = "trust"
)

// Grant is one normalised permission or trust statement attached to an
// identity, as imported from its provider. Importers own the grants of the
// identities they import: each import replaces the identity's grants from
// that source.
type Grant struct {
	ID         string    `json:"id"`
	IdentityID string    `json:"identity_id"`
	Kind       GrantKind `json:"kind"`
	Effect     string    `json:"effect"` // "allow" or "deny"
	// Actions and Resources of a permission, as the provider writes them
	// (wildcards kept): "s3:GetObject", "iam:*", "get secrets", "*".
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
	// Principals of a trust: "arn:aws:iam::123456789012:root",
	// "ec2.amazonaws.com", "token.actions.githubusercontent.com".
	Principals []string `json:"principals"`
	// Conditions as the provider expresses them (IAM Condition block,
	// RBAC namespace scope), or null.
	Conditions json.RawMessage `json:"conditions"`
	// Via names where the grant comes from: a policy ARN or name, an
	// inline policy, a RoleBinding, a group membership.
	Via string `json:"via"`
	// Scope narrows where it applies: a Kubernetes namespace, "cluster", an
	// AWS account id.
	Scope  string `json:"scope"`
	Source string `json:"source"` // importer that produced it, e.g. "aws-iam", "k8s"
}

// GrantService stores the grants of identities.
type GrantService interface {
	// ReplaceGrants sets the grants of the identity that came from source,
	// leaving grants from other sources alone; audited when they change.
	ReplaceGrants(ctx context.Context, identityID, source string, grants []*Grant) error
	// FindGrants lists the grants of an identity, all sources.
	FindGrants(ctx context.Context, identityID string) ([]*Grant, error)
}
