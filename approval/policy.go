// Package approval asks Cedar approval policies about requests made for an
// identity: whether a request may be made at all, whether it is approved at
// once, and whether it then waits for one approver or two. Just-in-time
// access (access/) and onboarding (onboard/) each ship such a policy and
// say what their requests put in the principal and the context; compiling
// the policy, the three questions and the Identity entity the policies
// test are the same for both and live here.
package approval

import (
	"fmt"
	"os"

	cedar "github.com/cedar-policy/cedar-go"
)

// Actions an approval policy is asked about, in this order: a request
// that ActionRequest does not permit is denied; one that ActionAutoApprove
// permits is approved at once; any other waits for two approvers when
// ActionTwoApprovers permits it, for one when it does not.
const (
	ActionRequest      = "request"
	ActionAutoApprove  = "auto_approve"
	ActionTwoApprovers = "two_approvers"
)

// Policy is a compiled approval policy.
type Policy struct {
	set *cedar.PolicySet
}

// Parse compiles Cedar policy text. kind names the policy in errors
// ("access policy"); name is the file name errors report positions in.
// A policy's id is its @id annotation, or name#index without one.
func Parse(kind, name string, text []byte) (*Policy, error) {
	list, err := cedar.NewPolicyListFromBytes(name, text)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s %s has no policies: every request would be denied", kind, name)
	}
	set := cedar.NewPolicySet()
	for i, p := range list {
		id := cedar.PolicyID(fmt.Sprintf("%s#%d", name, i))
		if a := p.Annotations()["id"]; a != "" {
			id = cedar.PolicyID(a)
		}
		if !set.Add(id, p) {
			return nil, fmt.Errorf("%s %s: policy id %q is used twice", kind, name, id)
		}
	}
	return &Policy{set: set}, nil
}

// Load reads and compiles the policy file at path; kind names the policy
// in errors, as for Parse.
func Load(kind, path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	return Parse(kind, path, b)
}
