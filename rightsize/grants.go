package rightsize

import (
	"encoding/json"
	"strings"

	"github.com/warden-nhi/warden"
)

// Grant sources, as warden's importers write Grant.Source.
const (
	grantSourceIAM = "aws-iam"
	grantSourceK8s = "k8s"
)

// entry is one permission of one grant: an IAM action pattern of a
// statement, or one verb on one resource of an RBAC rule.
type entry struct {
	grant    *warden.Grant
	provider warden.Provider
	// AWS: the action pattern, the statement's resources and its
	// NotAction/NotResource exclusions.
	action      string
	resources   []string
	notActions  []string
	notResource []string
	// Kubernetes: verb and resource, resourceNames.
	verb, resource string
	names          []string

	count  int
	covers map[string]bool
}

// permission is how the entry reads in a report.
func (e *entry) permission() string {
	if e.provider == warden.ProviderKubernetes {
		return e.verb + " " + e.resource
	}
	if len(e.notActions) > 0 {
		return e.action + " except " + strings.Join(e.notActions, ", ")
	}
	return e.action
}

// wildcard reports whether the entry is written with a wildcard.
func (e *entry) wildcard() bool {
	if e.provider == warden.ProviderKubernetes {
		return e.verb == "*" || strings.Contains(e.resource, "*")
	}
	return strings.ContainsAny(e.action, "*?")
}

// broad reports whether the entry grants a whole service or more: "*",
// "s3:*", RBAC '*' verbs or resources. Narrower patterns ("iam:Get*")
// are wildcards but not broad.
func (e *entry) broad() bool {
	if e.provider == warden.ProviderKubernetes {
		return e.verb == "*" || e.resource == "*" || strings.HasPrefix(e.resource, "*")
	}
	_, act, ok := strings.Cut(e.action, ":")
	return e.action == "*" || ok && act == "*"
}

// expand turns the identity's allow permission grants of AWS and
// Kubernetes into entries. Deny statements and trust grants are not
// permissions the identity holds; grants of other providers (OAuth
// scopes) cannot be compared with activity and are left out.
func expand(grants []*warden.Grant) []*entry {
	var out []*entry
	for _, g := range grants {
		if g.Kind != warden.GrantPermission || strings.EqualFold(g.Effect, "deny") {
			continue
		}
		switch grantProvider(g) {
		case warden.ProviderAWS:
			var cond struct {
				NotAction   []string `json:"NotAction"`
				NotResource []string `json:"NotResource"`
			}
			if len(g.Conditions) > 0 {
				_ = json.Unmarshal(g.Conditions, &cond) // a Condition block of another shape has neither
			}
			for _, a := range g.Actions {
				out = append(out, &entry{grant: g, provider: warden.ProviderAWS, action: a, resources: g.Resources,
					notActions: cond.NotAction, notResource: cond.NotResource, covers: map[string]bool{}})
			}
		case warden.ProviderKubernetes:
			var cond struct {
				ResourceNames []string `json:"resourceNames"`
			}
			if len(g.Conditions) > 0 {
				_ = json.Unmarshal(g.Conditions, &cond)
			}
			for _, v := range g.Actions {
				for _, r := range g.Resources {
					out = append(out, &entry{grant: g, provider: warden.ProviderKubernetes, verb: v, resource: r,
						names: cond.ResourceNames, covers: map[string]bool{}})
				}
			}
		}
	}
	return out
}

// grantProvider says whose permission a grant is: by its importer, or,
// for grants without one, AWS when every action looks like an IAM action.
func grantProvider(g *warden.Grant) warden.Provider {
	switch g.Source {
	case grantSourceIAM:
		return warden.ProviderAWS
	case grantSourceK8s:
		return warden.ProviderKubernetes
	case "":
		for _, a := range g.Actions {
			if a != "*" && !strings.Contains(a, ":") {
				return ""
			}
		}
		if len(g.Actions) > 0 {
			return warden.ProviderAWS
		}
	}
	return ""
}

// coversAWS reports whether the entry allows IAM action on resource (""
// when the event named none: then only the action is compared).
func (e *entry) coversAWS(action, resource string) bool {
	if !globMatch(e.action, action, true) {
		return false
	}
	for _, na := range e.notActions {
		if globMatch(na, action, true) {
			return false
		}
	}
	if resource == "" || !strings.HasPrefix(resource, "arn:") {
		return true
	}
	for _, nr := range e.notResource {
		if globMatch(nr, resource, false) {
			return false
		}
	}
	if len(e.resources) == 0 {
		return true
	}
	for _, r := range e.resources {
		if globMatch(r, resource, false) {
			return true
		}
	}
	return false
}

// globMatch matches an IAM pattern ('*' any run of characters, '?' one
// character) against s; action names compare case-insensitively, as IAM
// does.
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative matching with backtracking to the last '*'.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
