package access

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/warden-nhi/warden"
)

// maxUsageDecisions bounds how many logged decisions one usage report
// reads.
const maxUsageDecisions = 20000

// GrantUsage implements warden.AccessService: the decisions the grant
// determined during its time, counted by action and resource. A decision
// is the grant's when it was allowed by the grant policy for the grant's
// identity while the grant was active and its scope covers the request.
func (s *Service) GrantUsage(ctx context.Context, id string) (*warden.AccessUsage, error) {
	if s.cfg.Decisions == nil {
		return nil, warden.Errorf(warden.ECONFLICT, "this server keeps no decision log to read a grant's use from")
	}
	r, err := s.cfg.Store.FindAccessRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.StartsAt == nil || r.ExpiresAt == nil {
		return nil, warden.Errorf(warden.ECONFLICT, "access request %s was never granted (status %s)", r.ID, r.Status)
	}
	until := *r.ExpiresAt
	if r.EndedAt != nil && r.EndedAt.Before(until) {
		until = *r.EndedAt
	}
	if now := s.now(); now.Before(until) {
		until = now.Add(time.Second)
	}
	u := &warden.AccessUsage{GrantID: r.ID, Since: *r.StartsAt, Until: until, Uses: []*warden.AccessUseCount{}}
	uses := map[[2]string]*warden.AccessUseCount{}
	f := warden.DecisionFilter{IdentityID: r.IdentityID, Decision: "allow", Since: r.StartsAt, Until: &until, Limit: warden.MaxPageSize}
	read := 0
	for {
		page, next, err := s.cfg.Decisions.FindDecisions(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			if !slices.Contains(d.Policies, warden.GrantPolicyID) || !r.Scope.Covers(d.Action.ID, d.Resource.Type, d.Resource.ID) {
				continue
			}
			u.Decisions++
			key := [2]string{d.Action.ID, d.Resource.Type + "::" + d.Resource.ID}
			c, ok := uses[key]
			if !ok {
				c = &warden.AccessUseCount{Action: key[0], Resource: key[1], First: d.Time, Last: d.Time}
				uses[key] = c
				u.Uses = append(u.Uses, c)
			}
			c.Count++
			if d.Time.Before(c.First) {
				c.First = d.Time
			}
			if d.Time.After(c.Last) {
				c.Last = d.Time
			}
		}
		read += len(page)
		if next == "" {
			break
		}
		if read >= maxUsageDecisions {
			u.Truncated = true
			break
		}
		f.Cursor = next
	}
	sort.Slice(u.Uses, func(i, j int) bool {
		if u.Uses[i].Count != u.Uses[j].Count {
			return u.Uses[i].Count > u.Uses[j].Count
		}
		return u.Uses[i].Action+u.Uses[i].Resource < u.Uses[j].Action+u.Uses[j].Resource
	})
	return u, nil
}
