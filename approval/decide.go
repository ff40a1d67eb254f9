package approval

import (
	"sort"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// Request is one request put to a policy: who makes it, for which
// identity, in what context. The caller says what its principal and
// context carry; the identity is the resource, with the same attributes
// and tags for every approval policy.
type Request struct {
	// Principal is who makes the request (a Person, Workload or Agent);
	// PrincipalAttributes are what policies may test about them.
	Principal           types.EntityUID
	PrincipalAttributes types.RecordMap
	// ResourceID is the id of the Identity entity: the identity's own, or
	// a stand-in for one the request would create. Identity supplies the
	// entity's attributes and tags.
	ResourceID string
	Identity   *warden.Identity
	Context    types.RecordMap
}

// Verdict is what the policy says about one request.
type Verdict struct {
	Allowed     bool
	AutoApprove bool
	// Approvals is how many approvers an allowed request waits for: 0 when
	// it is approved at once, otherwise 1 or 2.
	Approvals int
	// DeterminedBy are the ids of the policies that decided the outcome,
	// sorted.
	DeterminedBy []string
	// Errors are the evaluation errors ("policy id: message") of the
	// ActionRequest question; AutoApproveErrors are those of the
	// ActionAutoApprove question, when it was asked.
	Errors            []string
	AutoApproveErrors []string
}

// Decide asks the policy about req: ActionRequest, then ActionAutoApprove,
// then ActionTwoApprovers, stopping at the first that settles it.
func (p *Policy) Decide(req Request) Verdict {
	resource := types.NewEntityUID("Identity", types.String(req.ResourceID))
	entities := types.EntityMap{
		resource: identityEntity(resource, req.Identity),
		req.Principal: {UID: req.Principal, Parents: types.NewEntityUIDSet(),
			Attributes: types.NewRecord(req.PrincipalAttributes), Tags: types.Record{}},
	}
	ctx := types.NewRecord(req.Context)
	ask := func(action string) (bool, cedar.Diagnostic) {
		d, diag := cedar.Authorize(p.set, entities, cedar.Request{
			Principal: req.Principal, Action: types.NewEntityUID("Action", types.String(action)), Resource: resource, Context: ctx,
		})
		return d == cedar.Allow, diag
	}
	var v Verdict
	ok, diag := ask(ActionRequest)
	v.Errors = diagErrors(diag)
	if !ok {
		v.DeterminedBy = diagReasons(diag)
		return v
	}
	v.Allowed, v.Approvals = true, 1
	ok, diag = ask(ActionAutoApprove)
	if ok {
		v.AutoApprove, v.Approvals, v.DeterminedBy = true, 0, diagReasons(diag)
		return v
	}
	v.AutoApproveErrors = diagErrors(diag)
	if ok, diag := ask(ActionTwoApprovers); ok {
		v.Approvals, v.DeterminedBy = 2, diagReasons(diag)
	}
	return v
}

// Describe names the policies that decided, for a request's record.
func (v Verdict) Describe() string {
	if len(v.DeterminedBy) == 0 {
		return "no policy permits it"
	}
	return strings.Join(v.DeterminedBy, ", ")
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
