package policy

import (
	"encoding/json"
	"fmt"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// ReplayChange is a logged decision that a candidate policy set decides
// differently.
type ReplayChange struct {
	ID        string           `json:"id"`
	Time      time.Time        `json:"time"`
	Principal warden.EntityRef `json:"principal"`
	Action    warden.EntityRef `json:"action"`
	Resource  warden.EntityRef `json:"resource"`
	Was       string           `json:"was"`
	Now       string           `json:"now"`
	Policies  []string         `json:"policies"` // determining policies of the candidate
	Errors    []string         `json:"errors,omitempty"`
}

// ReplayResult summarises a replay.
type ReplayResult struct {
	Replayed int            `json:"replayed"`
	Skipped  int            `json:"skipped"` // records without a replayable request
	Changes  []ReplayChange `json:"changes"`
}

// Replay evaluates each logged decision's request, with the facts it was
// decided on (the enriched principal and request entities as logged, then
// the stored entities), against the candidate set and reports every
// decision that would change.
func Replay(candidate *Set, stored types.EntityMap, records []*warden.DecisionRecord) ReplayResult {
	res := ReplayResult{Changes: []ReplayChange{}}
	for _, r := range records {
		var lr LoggedRequest
		if err := json.Unmarshal(r.Request, &lr); err != nil || lr.Action.Type == "" || lr.Resource.Type == "" {
			res.Skipped++
			continue
		}
		if r.Principal.ID == "" && len(r.Errors) > 0 {
			res.Skipped++ // a token that failed verification: no principal to replay
			continue
		}
		res.Replayed++
		getter := &layered{request: lr.Entities, stored: stored}
		d, diag := candidate.Decide(cedar.Request{Principal: lr.Principal, Action: lr.Action, Resource: lr.Resource, Context: lr.Context}, getter)
		now := "deny"
		if d == cedar.Allow {
			now = "allow"
		}
		if now == r.Decision {
			continue
		}
		policies, errs := diagnosticStrings(diag)
		res.Changes = append(res.Changes, ReplayChange{ID: r.ID, Time: r.Time, Principal: r.Principal, Action: r.Action, Resource: r.Resource,
			Was: r.Decision, Now: now, Policies: policies, Errors: errs})
	}
	return res
}

// String renders a change as one line.
func (c ReplayChange) String() string {
	return fmt.Sprintf("%s %s::%q %s %s::%q: %s -> %s %v", c.Time.Format(time.RFC3339), c.Principal.Type, c.Principal.ID, c.Action.ID, c.Resource.Type, c.Resource.ID, c.Was, c.Now, c.Policies)
}
