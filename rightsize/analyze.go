// Package rightsize compares what an identity is granted (AWS IAM policy
// statements, Kubernetes RBAC rules, as warden's importers store them as
// grants) with what its activity over a window shows it used (CloudTrail
// and Kubernetes audit events), reports the unused and wildcard grants
// with the evidence count of every used permission, and proposes
// least-privilege policies built from the use alone: an IAM policy
// document and Kubernetes Role/ClusterRole YAML.
//
// It is pure logic: Usage folds events one at a time, Compare and Analyze
// work on what it gathered, and Service reads grants and events through
// the domain interfaces it is given.
package rightsize

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Comparison is what Compare finds.
type Comparison struct {
	Used      []warden.UsedPermission
	Denied    []warden.DeniedPermission
	Granted   int // permission entries of the grants (IAM action patterns, RBAC verb×resource)
	Unused    []warden.GrantedPermission
	Wildcards []warden.GrantedPermission
	// Broad are the entries that grant a whole service or more ("*",
	// "s3:*", RBAC '*' verbs or resources) and covered some use: a grant
	// of everything used for a handful of permissions.
	Broad []warden.GrantedPermission
}

// Compare matches the used permissions of u against the allow permission
// grants: each used permission lists the grants that allow it, and each
// grant entry how much use it covered. Entries that covered nothing are
// unused; entries written with wildcards are listed as wildcards whether
// used or not. Conditions other than NotAction, NotResource and
// resourceNames are not evaluated: a grant counts as covering a use its
// actions and resources match.
func Compare(grants []*warden.Grant, u *Usage) Comparison {
	entries := expand(grants)
	uses := u.sortedUses()
	var c Comparison
	c.Granted = len(entries)
	for _, x := range uses {
		up := x.report()
		via := map[string]bool{}
		for _, e := range entries {
			if e.provider != x.provider {
				continue
			}
			if n := e.coverage(x); n > 0 {
				e.count += n
				e.covers[x.label()] = true
				via[e.grant.Via] = true
			}
		}
		up.GrantedBy = sortedKeys(via)
		c.Used = append(c.Used, up)
	}
	for _, d := range u.sortedDenials() {
		c.Denied = append(c.Denied, warden.DeniedPermission{
			Provider: d.provider, Permission: d.perm, Namespace: d.ns, Count: d.count,
			FirstSeen: d.first, LastSeen: d.last, ErrorCodes: sortedKeys(d.codes),
		})
	}
	slices.SortStableFunc(entries, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.grant.Via, b.grant.Via),
			cmp.Compare(a.grant.Scope, b.grant.Scope), cmp.Compare(a.permission(), b.permission()))
	})
	for _, e := range entries {
		gp := warden.GrantedPermission{
			GrantID: e.grant.ID, Via: e.grant.Via, Scope: e.grant.Scope, Provider: e.provider,
			Permission: e.permission(), Resources: nonNil(e.resources), Wildcard: e.wildcard(),
			Count: e.count, Covers: sortedKeys(e.covers),
		}
		if e.provider == warden.ProviderKubernetes {
			gp.Resources = []string{e.resource}
		}
		if e.count == 0 {
			c.Unused = append(c.Unused, gp)
		}
		if gp.Wildcard {
			c.Wildcards = append(c.Wildcards, gp)
		}
		if e.broad() && e.count > 0 {
			c.Broad = append(c.Broad, gp)
		}
	}
	c.Used = nonNil(c.Used)
	c.Denied = nonNil(c.Denied)
	c.Unused = nonNil(c.Unused)
	c.Wildcards = nonNil(c.Wildcards)
	return c
}

// coverage is how many of x's events the entry allows.
func (e *entry) coverage(x *use) int {
	n := 0
	switch e.provider {
	case warden.ProviderAWS:
		for r, c := range x.raw {
			if e.coversAWS(x.perm, r) {
				n += c
			}
		}
		if x.unknown+x.overflow > 0 && e.coversAWS(x.perm, "") {
			n += x.unknown + x.overflow
		}
	case warden.ProviderKubernetes:
		scope := e.grant.Scope
		for r, c := range x.raw {
			_, name := k8sObject(r)
			if x.k8s.URL != "" {
				name = ""
			}
			if k8sGrantCovers(e.verb, e.resource, scope, e.names, x.k8s, x.ns, name) {
				n += c
			}
		}
		if x.unknown+x.overflow > 0 && k8sGrantCovers(e.verb, e.resource, scope, nil, x.k8s, x.ns, "") {
			n += x.unknown + x.overflow
		}
	}
	return n
}

// label names a used permission in a grant's Covers list.
func (x *use) label() string {
	if x.ns != "" {
		return x.perm + " in " + x.ns
	}
	return x.perm
}

// report is the used permission as the report shows it.
func (x *use) report() warden.UsedPermission {
	up := warden.UsedPermission{
		Provider: x.provider, Permission: x.perm, Namespace: x.ns, Count: x.count,
		FirstSeen: x.first, LastSeen: x.last, Calls: sortedKeys(x.calls), GrantedBy: []string{},
	}
	if x.provider == warden.ProviderAWS {
		up.Resources = x.policyResources()
	} else {
		up.Resources = sortedKeys(x.raw)
	}
	if len(up.Resources) > warden.MaxRightsizeResources {
		up.Resources = up.Resources[:warden.MaxRightsizeResources]
	}
	return up
}

// policyResources are the resources a proposed IAM statement for x names.
func (x *use) policyResources() []string {
	if x.wide || len(x.policy) == 0 {
		return []string{"*"}
	}
	return sortedKeys(x.policy)
}

func (u *Usage) sortedUses() []*use {
	out := make([]*use, 0, len(u.used))
	for _, x := range u.used {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *use) int { return compareKeys(a.key, b.key) })
	return out
}

func (u *Usage) sortedDenials() []*denial {
	out := make([]*denial, 0, len(u.denied))
	for _, d := range u.denied {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *denial) int { return compareKeys(a.key, b.key) })
	return out
}

func compareKeys(a, b key) int {
	return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.perm, b.perm), cmp.Compare(a.ns, b.ns))
}

// Window is the span of activity a report covers.
type Window struct {
	Since, Until time.Time
}

// Analyze builds the full report for identity: the comparison, the
// proposed IAM policy (nil when no AWS permission was used) and the
// proposed Kubernetes RBAC YAML ("" when no Kubernetes permission was).
func Analyze(identity *warden.Identity, grants []*warden.Grant, u *Usage, w Window) *warden.RightsizeReport {
	c := Compare(grants, u)
	r := &warden.RightsizeReport{
		IdentityID: identity.ID, Identity: identity.ExternalID, Provider: identity.Provider,
		Window: warden.FormatWindow(w.Until.Sub(w.Since)), Since: w.Since, Until: w.Until,
		Counts: u.counts, Used: c.Used, Denied: c.Denied, Unused: c.Unused, Wildcards: c.Wildcards,
	}
	uses := u.sortedUses()
	r.AWSPolicy = iamPolicy(uses)
	r.KubernetesRBAC = kubernetesRBAC(identity, uses, w)
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// capitalise upper-cases the first letter of each '-'-separated word and
// drops everything but letters and digits: "dynamodb" → "Dynamodb",
// "cognito-idp" → "CognitoIdp" (IAM Sids are alphanumeric).
func capitalise(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
