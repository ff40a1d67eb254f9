package access

import (
	_ "embed"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/approval"
)

// DefaultPolicyText is the access policy warden ships with.
//
//go:embed default.cedar
var DefaultPolicyText string

// Policy is a compiled access policy: Cedar policies that decide, for each
// request, whether it may be made, whether it is granted at once and how
// many approvers it needs.
type Policy struct {
	rules *approval.Policy
}

// policyKind names the access policy in errors.
const policyKind = "access policy"

// DefaultPolicy returns the shipped access policy.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy("default.cedar", []byte(DefaultPolicyText))
	if err != nil {
		panic("access: default policy does not parse: " + err.Error())
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

// LoadPolicy reads and compiles an access policy file.
func LoadPolicy(path string) (*Policy, error) {
	rules, err := approval.Load(policyKind, path)
	if err != nil {
		return nil, err
	}
	return &Policy{rules: rules}, nil
}

// evaluate asks the policy about r for the identity: the requester is the
// principal, the scope, duration, task and reason the context.
func (p *Policy) evaluate(r *warden.AccessRequest, identity *warden.Identity) approval.Verdict {
	return p.rules.Decide(approval.Request{
		Principal:           types.NewEntityUID(requesterType(r.RequesterKind), types.String(r.RequesterID)),
		PrincipalAttributes: types.RecordMap{"name": types.String(r.Requester)},
		ResourceID:          identity.ID,
		Identity:            identity,
		Context: types.RecordMap{
			"duration_seconds": types.Long(r.DurationSeconds),
			"read_only":        types.Boolean(r.Scope.ReadOnly()),
			"role":             types.String(r.Scope.Role),
			"actions":          approval.StringSet(r.Scope.Actions),
			"resources":        approval.StringSet(r.Scope.Resources),
			"requester_kind":   types.String(r.RequesterKind),
			"task":             types.String(r.Task),
			"reason":           types.String(r.Reason),
			"break_glass":      types.Boolean(r.BreakGlass),
		},
	})
}

func requesterType(kind string) types.EntityType {
	switch kind {
	case warden.RequesterWorkload:
		return "Workload"
	case warden.RequesterAgent:
		return "Agent"
	}
	return "Person"
}
