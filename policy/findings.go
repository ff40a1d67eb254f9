package policy

import (
	"context"
	"fmt"
	"slices"

	"github.com/warden-nhi/warden"
)

// GovernanceFindings is the FindingSource over warden's governance
// finding store: an identity's open findings (not resolved, not
// suppressed) become its open_findings attribute, the distinct rule ids,
// so that a policy can say
//
//	forbid (principal, action, resource)
//	when { principal.open_findings.contains("secret-leaked") };
//
// A finding opened, resolved, suppressed or reopened is announced on the
// change feed, which drops the identity's cached entity.
type GovernanceFindings struct {
	Findings warden.FindingService
}

var _ FindingSource = GovernanceFindings{}

// OpenFindings implements FindingSource.
func (g GovernanceFindings) OpenFindings(ctx context.Context, identityID string) ([]string, []string, error) {
	var rules, ids []string
	cursor := ""
	for {
		page, next, err := g.Findings.FindFindings(ctx, warden.FindingFilter{IdentityID: identityID, Status: warden.FindingOpen, Cursor: cursor, Limit: warden.MaxPageSize})
		if err != nil {
			return nil, nil, fmt.Errorf("open findings of %s: %w", identityID, err)
		}
		for _, f := range page {
			rules = append(rules, f.RuleID)
			ids = append(ids, f.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	slices.Sort(rules)
	return slices.Compact(rules), ids, nil
}
