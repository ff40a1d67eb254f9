package onboard

import (
	_ "embed"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/approval"
)

// DefaultPolicyText is the onboarding policy warden ships with.
//
//go:embed default.cedar
var DefaultPolicyText string

// Policy is a compiled onboarding policy: Cedar policies that decide, for
// each request, whether it may be made, whether it is approved at once and
// how many approvers it needs.
type Policy struct {
	rules *approval.Policy
}

// policyKind names the onboarding policy in errors.
const policyKind = "onboarding policy"

// DefaultPolicy returns the shipped onboarding policy.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy("default.cedar", []byte(DefaultPolicyText))
	if err != nil {
		panic("onboard: default policy does not parse: " + err.Error())
	}
	return p
}

// ParsePolicy compiles Cedar policy text; name is the file name errors
// report positions in.
func ParsePolicy(name string, text []byte) (*Policy, error) {
	rules, err := approval.Parse(policyKind, name, text)
	if err != nil {
		return nil, err
	}
	return &Policy{rules: rules}, nil
}

// LoadPolicy reads and compiles an onboarding policy file.
func LoadPolicy(path string) (*Policy, error) {
	rules, err := approval.Load(policyKind, path)
	if err != nil {
		return nil, err
	}
	return &Policy{rules: rules}, nil
}

// evaluate asks the policy about r, asked by a token of role, whose
// identity (as it is, or as it would be created: Identity::"new") is
// identity; expiresInDays is 0 without an expiry.
func (p *Policy) evaluate(r *warden.OnboardingRequest, role warden.Role, identity *warden.Identity, expiresInDays int64) approval.Verdict {
	resourceID := identity.ID
	if resourceID == "" {
		resourceID = "new"
	}
	scope := warden.AccessScope{Actions: r.Permissions}
	return p.rules.Decide(approval.Request{
		Principal:           types.NewEntityUID("Person", types.String(r.RequesterID)),
		PrincipalAttributes: types.RecordMap{"name": types.String(r.Requester), "role": types.String(role)},
		ResourceID:          resourceID,
		Identity:            identity,
		Context: types.RecordMap{
			"type":                 types.String(r.Type),
			"kind":                 types.String(r.Kind),
			"provider":             types.String(r.Provider),
			"environment":          types.String(r.Environment),
			"team":                 types.String(r.Team),
			"owner":                types.String(r.Owner),
			"permissions":          approval.StringSet(r.Permissions),
			"read_only":            types.Boolean(scope.ReadOnly()),
			"admin":                types.Boolean(Privileged(r.Permissions)),
			"warden_workload":      types.Boolean(r.WardenWorkload()),
			"review_interval_days": types.Long(r.ReviewIntervalDays),
			"has_expiry":           types.Boolean(r.ExpiresAt != nil),
			"expires_in_days":      types.Long(expiresInDays),
		},
	})
}
