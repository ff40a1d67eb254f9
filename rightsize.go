package warden

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Rightsizing windows: how far back activity is read.
const (
	DefaultRightsizeWindow = 90 * 24 * time.Hour
	MinRightsizeWindow     = time.Hour
	MaxRightsizeWindow     = 366 * 24 * time.Hour
)

// Rightsizing output formats, as the API's format parameter and the CLI's
// --format flag name them.
const (
	RightsizeFormatJSON = "json" // the whole RightsizeReport
	RightsizeFormatIAM  = "iam"  // the proposed AWS IAM policy document
	RightsizeFormatK8s  = "k8s"  // the proposed Kubernetes Role/ClusterRole YAML
)

// RightsizeFormats lists the valid formats.
var RightsizeFormats = []string{RightsizeFormatJSON, RightsizeFormatIAM, RightsizeFormatK8s}

// ParseWindow parses a rightsizing window: a number of days ("90d"), or a
// Go duration ("12h", "1h30m"). It must be between MinRightsizeWindow and
// MaxRightsizeWindow. Errors are EINVALID and name field.
func ParseWindow(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, FieldErrorf(field, "%s is empty; use a number of days such as 90d, or a duration such as 12h", field)
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, FieldErrorf(field, "%s %q is not a number of days such as 90d", field, clipText(s, 40))
		}
		d = time.Duration(min(n, 100_000)) * 24 * time.Hour // clamped so that a huge count cannot overflow
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, FieldErrorf(field, "%s %q is neither a number of days (90d) nor a duration (12h)", field, clipText(s, 40))
		}
	}
	if d < MinRightsizeWindow || d > MaxRightsizeWindow {
		return 0, FieldErrorf(field, "%s must be between %s and %s, got %s", field,
			FormatWindow(MinRightsizeWindow), FormatWindow(MaxRightsizeWindow), clipText(s, 40))
	}
	return d, nil
}

// FormatWindow writes a window the way ParseWindow reads it: whole days
// as "90d", whole hours as "12h", anything else as a Go duration.
func FormatWindow(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}

// RightsizeReport compares what an identity was granted with what its
// activity in a window shows it used, and proposes least-privilege
// policies built from that use alone.
type RightsizeReport struct {
	IdentityID string          `json:"identity_id"`
	Identity   string          `json:"identity"` // the identity's external id
	Provider   Provider        `json:"provider"`
	Window     string          `json:"window"` // e.g. "90d"
	Since      time.Time       `json:"since"`
	Until      time.Time       `json:"until"`
	Counts     RightsizeCounts `json:"counts"`
	// Used are the permissions the activity needed, with their evidence,
	// by provider, permission and namespace.
	Used []UsedPermission `json:"used"`
	// Denied are permissions the identity tried and was refused: not
	// needed for what it does today, but worth a look.
	Denied []DeniedPermission `json:"denied"`
	// Unused are granted permissions no allowed event in the window needed.
	Unused []GrantedPermission `json:"unused"`
	// Wildcards are granted permissions written with wildcards, used or
	// not: each grants more than any activity can show it needs.
	Wildcards []GrantedPermission `json:"wildcards"`
	// AWSPolicy is the proposed IAM policy; nil when no AWS permission was
	// used in the window.
	AWSPolicy *IAMPolicy `json:"aws_policy"`
	// KubernetesRBAC is the proposed Role (one per namespace used) and
	// ClusterRole (cluster-wide use) as YAML; "" when no Kubernetes
	// permission was used in the window.
	KubernetesRBAC string `json:"kubernetes_rbac"`
}

// RightsizeCounts counts the identity's events in the window by how
// rightsizing used them.
type RightsizeCounts struct {
	Events int `json:"events"` // every event of the identity in the window
	Used   int `json:"used"`   // allowed events that needed a permission: the evidence
	Denied int `json:"denied"` // access-denied attempts
	Failed int `json:"failed"` // events that failed for another reason: evidence of nothing
	// NoPermission counts allowed calls that need no permission
	// (sts:GetCallerIdentity, console sign-in).
	NoPermission int `json:"no_permission"`
	// Unmapped counts events of sources whose actions are not cloud or
	// cluster permissions (GitHub audit, warden's own logs).
	Unmapped int `json:"unmapped"`
}

// UsedPermission is one permission the identity's activity needed, with
// the evidence for it.
type UsedPermission struct {
	Provider Provider `json:"provider"` // aws or kubernetes
	// Permission is an IAM action ("s3:GetObject") or a Kubernetes verb
	// and resource as RBAC writes them ("get pods", "list
	// deployments.apps", "get pods/log", "get /healthz").
	Permission string `json:"permission"`
	// Namespace is the Kubernetes namespace it was used in; "" for
	// cluster-wide use and for AWS.
	Namespace string    `json:"namespace"`
	Count     int       `json:"count"` // allowed events that needed it
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Calls are the API calls that needed it when they are named
	// differently (CloudTrail "s3:ListObjects" needs s3:ListBucket).
	Calls []string `json:"calls"`
	// Resources are what it was used on: the resources of the proposed
	// IAM statement for AWS, the objects acted on for Kubernetes (at
	// most MaxRightsizeResources).
	Resources []string `json:"resources"`
	// GrantedBy names the grants (their Via) that allow it; empty when no
	// imported grant does (a group, resource policy or binding warden has
	// not imported).
	GrantedBy []string `json:"granted_by"`
}

// MaxRightsizeResources bounds the resources listed per permission.
const MaxRightsizeResources = 20

// DeniedPermission is a permission the identity was refused.
type DeniedPermission struct {
	Provider   Provider  `json:"provider"`
	Permission string    `json:"permission"`
	Namespace  string    `json:"namespace"`
	Count      int       `json:"count"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	ErrorCodes []string  `json:"error_codes"`
}

// GrantedPermission is one permission of one grant: an IAM action
// pattern of a policy statement, or a verb and resource of an RBAC rule.
type GrantedPermission struct {
	GrantID  string   `json:"grant_id"`
	Via      string   `json:"via"`
	Scope    string   `json:"scope"`
	Provider Provider `json:"provider"`
	// Permission as granted, wildcards kept: "s3:*", "iam:Get*", "* secrets".
	Permission string   `json:"permission"`
	Resources  []string `json:"resources"`
	Wildcard   bool     `json:"wildcard"`
	// Count is how many allowed events it covered, Covers the distinct
	// used permissions among them.
	Count  int      `json:"count"`
	Covers []string `json:"covers"`
}

// IAMPolicy is an AWS IAM policy document.
type IAMPolicy struct {
	Version   string         `json:"Version"`
	Statement []IAMStatement `json:"Statement"`
}

// IAMStatement is one Allow statement of a proposed IAM policy.
type IAMStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// RightsizeService computes rightsizing reports on demand from the stored
// grants and events.
type RightsizeService interface {
	// Rightsize analyses the identity with id over the window ending now.
	// ENOTFOUND for an unknown identity; EINVALID (field "window") for a
	// window outside MinRightsizeWindow..MaxRightsizeWindow.
	Rightsize(ctx context.Context, identityID string, window time.Duration) (*RightsizeReport, error)
}
