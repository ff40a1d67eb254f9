package rightsize

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-nhi/warden"
)

// iamPolicy builds the least-privilege IAM policy for the AWS uses: one
// Allow statement per service and set of resources, actions and
// resources sorted, the resources those the events named (S3 objects
// widened to their bucket's "/*") or "*" where an event named none. It
// returns nil when no AWS permission was used: IAM rejects a policy
// without statements.
func iamPolicy(uses []*use) *warden.IAMPolicy {
	type group struct {
		svc       string
		resources []string
		actions   []string
	}
	groups := map[string]*group{}
	for _, x := range uses {
		if x.provider != warden.ProviderAWS {
			continue
		}
		svc, _, _ := strings.Cut(x.perm, ":")
		res := x.policyResources()
		k := svc + "\x00" + strings.Join(res, "\x00")
		g, ok := groups[k]
		if !ok {
			g = &group{svc: svc, resources: res}
			groups[k] = g
		}
		g.actions = append(g.actions, x.perm)
	}
	if len(groups) == 0 {
		return nil
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.actions)
		g.actions = slices.Compact(g.actions)
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.svc, b.svc), slices.Compare(a.resources, b.resources))
	})
	perService := map[string]int{}
	for _, g := range list {
		perService[g.svc]++
	}
	p := &warden.IAMPolicy{Version: "2012-10-17", Statement: []warden.IAMStatement{}}
	seen := map[string]int{}
	for _, g := range list {
		sid := capitalise(g.svc) + "Access"
		if perService[g.svc] > 1 {
			seen[g.svc]++
			sid += strconv.Itoa(seen[g.svc])
		}
		p.Statement = append(p.Statement, warden.IAMStatement{Sid: sid, Effect: "Allow", Action: g.actions, Resource: g.resources})
	}
	return p
}
