package onboard

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// DefaultPolicyText is the onboarding policy warden ships with.
//
//go:embed default.cedar
var DefaultPolicyText string

// Policy is a compiled onboarding policy: Cedar policies that decide, for
// each request, whether it may be made, whether it is approved at once and
// how many approvers it needs.
type Policy struct {
	set *cedar.PolicySet
}

// Actions the onboarding policy is asked about.
const (
	actionRequest      = "request"
	actionAutoApprove  = "auto_approve"
	actionTwoApprovers = "two_approvers"
)

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
	list, err := cedar.NewPolicyListFromBytes(name, text)
	if err != nil {
		return nil, fmt.Errorf("onboarding policy %s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("onboarding policy %s has no policies: every request would be denied", name)
	}
	set := cedar.NewPolicySet()
	for i, p := range list {
		id := cedar.PolicyID(fmt.Sprintf("%s#%d", name, i))
		if a := p.Annotations()["id"]; a != "" {
			id = cedar.PolicyID(a)
		}
		if !set.Add(id, p) {
			return nil, fmt.Errorf("onboarding policy %s: policy id %q is used twice", name, id)
		}
	}
	return &Policy{set: set}, nil
}

// LoadPolicy reads and compiles an onboarding policy file.
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read onboarding policy: %w", err)
	}
	return ParsePolicy(path, b)
}

// verdict is what the policy says about one request.
type verdict struct {
	allowed      bool
	autoApprove  bool
	approvals    int
	determinedBy []string // the policies that decided the outcome
	errors       []string
}

// evaluate asks the policy about r, asked by a token of role, whose
// identity (as it is, or as it would be created) is identity;
// expiresInDays is 0 without an expiry.
func (p *Policy) evaluate(r *warden.OnboardingRequest, role warden.Role, identity *warden.Identity, expiresInDays int64) verdict {
	principal := types.NewEntityUID("Person", types.String(r.RequesterID))
	resourceID := identity.ID
	if resourceID == "" {
		resourceID = "new"
	}
	resource := types.NewEntityUID("Identity", types.String(resourceID))
	entities := types.EntityMap{
		resource: identityEntity(resource, identity),
		principal: {UID: principal, Parents: types.NewEntityUIDSet(), Attributes: types.NewRecord(types.RecordMap{
			"name": types.String(r.Requester), "role": types.String(role),
		}), Tags: types.Record{}},
	}
	scope := warden.AccessScope{Actions: r.Permissions}
	ctx := types.NewRecord(types.RecordMap{
		"type":                 types.String(r.Type),
		"kind":                 types.String(r.Kind),
		"provider":             types.String(r.Provider),
		"environment":          types.String(r.Environment),
		"team":                 types.String(r.Team),
		"owner":                types.String(r.Owner),
		"permissions":          stringSet(r.Permissions),
		"read_only":            types.Boolean(scope.ReadOnly()),
		"admin":                types.Boolean(Privileged(r.Permissions)),
		"warden_workload":      types.Boolean(r.WardenWorkload()),
		"review_interval_days": types.Long(r.ReviewIntervalDays),
		"has_expiry":           types.Boolean(r.ExpiresAt != nil),
		"expires_in_days":      types.Long(expiresInDays),
	})
	ask := func(action string) (bool, cedar.Diagnostic) {
		d, diag := cedar.Authorize(p.set, entities, cedar.Request{
			Principal: principal, Action: types.NewEntityUID("Action", types.String(action)), Resource: resource, Context: ctx,
		})
		return d == cedar.Allow, diag
	}
	var v verdict
	ok, diag := ask(actionRequest)
	v.errors = diagErrors(diag)
	if !ok {
		v.determinedBy = diagReasons(diag)
		return v
	}
	v.allowed, v.approvals = true, 1
	if ok, diag := ask(actionAutoApprove); ok {
		v.autoApprove, v.approvals, v.determinedBy = true, 0, diagReasons(diag)
		return v
	} else {
		v.errors = append(v.errors, diagErrors(diag)...)
	}
	if ok, diag := ask(actionTwoApprovers); ok {
		v.approvals, v.determinedBy = 2, diagReasons(diag)
	}
	return v
}

// identityEntity is the Identity a request is about, with the attributes
// onboarding policies test; its labels are its tags.
func identityEntity(uid types.EntityUID, i *warden.Identity) types.Entity {
	tags := make(types.RecordMap, len(i.Labels))
	for k, v := range i.Labels {
		tags[types.String(k)] = types.String(v)
	}
	return types.Entity{
		UID:     uid,
		Parents: types.NewEntityUIDSet(),
		Attributes: types.NewRecord(types.RecordMap{
			"kind": types.String(i.Kind), "provider": types.String(i.Provider), "external_id": types.String(i.ExternalID),
			"name": types.String(i.Name), "owner": types.String(i.Owner), "has_owner": types.Boolean(i.Owner != ""),
			"environment": types.String(i.Environment), "status": types.String(i.Status), "managed": types.Boolean(i.Managed),
			"risk_score": types.Long(i.RiskScore),
		}),
		Tags: types.NewRecord(tags),
	}
}

func stringSet(list []string) types.Set {
	vals := make([]types.Value, len(list))
	for i, s := range list {
		vals[i] = types.String(s)
	}
	return types.NewSet(vals...)
}

func diagReasons(d cedar.Diagnostic) []string {
	out := make([]string, 0, len(d.Reasons))
	for _, r := range d.Reasons {
		out = append(out, string(r.PolicyID))
	}
	sort.Strings(out)
	return out
}

func diagErrors(d cedar.Diagnostic) []string {
	out := make([]string, 0, len(d.Errors))
	for _, e := range d.Errors {
		out = append(out, string(e.PolicyID)+": "+e.Message)
	}
	return out
}

// describe renders the policies that decided, for the request's record.
func describe(ids []string) string {
	if len(ids) == 0 {
		return "no policy permits it"
	}
	return strings.Join(ids, ", ")
}
