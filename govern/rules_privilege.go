package govern

import (
	"fmt"
	"slices"
	"strings"

	"github.com/warden-nhi/warden"
)

// maxEvidenceItems bounds lists in evidence.
const maxEvidenceItems = 10

// allows reports whether g is an allow permission.
func allows(g *warden.Grant) bool {
	return g.Kind == warden.GrantPermission && !strings.EqualFold(g.Effect, "deny")
}

// anyResource reports whether the grant applies to every resource.
func anyResource(g *warden.Grant) bool {
	return len(g.Resources) == 0 || slices.Contains(g.Resources, "*")
}

// adminReason says why a grant is administrative, or "".
func adminReason(g *warden.Grant) string {
	if !allows(g) {
		return ""
	}
	via := strings.ToLower(g.Via)
	switch {
	case strings.Contains(via, "administratoraccess"):
		return "AdministratorAccess policy"
	case strings.Contains(via, "clusterrole/cluster-admin@") || strings.HasSuffix(via, "clusterrole/cluster-admin"):
		return "bound to cluster-admin"
	}
	for _, a := range g.Actions {
		la := strings.ToLower(a)
		if strings.Contains(la, " ") { // Kubernetes RBAC: "verb resource"
			if verb, res, _ := strings.Cut(la, " "); verb == "*" && res == "*" {
				return "RBAC '*' verbs on '*' resources"
			}
			continue
		}
		if !anyResource(g) {
			continue
		}
		switch {
		case la == "*" || la == "*:*":
			return fmt.Sprintf("%q on every resource", a)
		case la == "iam:*":
			return "iam:* on every resource"
		case la == "iam:passrole" || la == "iam:pass*" || la == "iam:passro*":
			return "iam:PassRole on every role"
		}
	}
	return ""
}

// wildcardReason says why a non-administrative grant is a wildcard, or "".
func wildcardReason(g *warden.Grant) string {
	if !allows(g) || adminReason(g) != "" {
		return ""
	}
	for _, a := range g.Actions {
		if strings.Contains(a, " ") {
			verb, res, _ := strings.Cut(a, " ")
			if verb == "*" || res == "*" || strings.HasPrefix(res, "*/") {
				return fmt.Sprintf("RBAC rule %q", a)
			}
			continue
		}
		svc, act, aws := strings.Cut(a, ":")
		if !aws { // a Kubernetes RBAC verb, with the resources in Resources
			switch {
			case a == "*":
				return fmt.Sprintf("every verb on %v", g.Resources)
			case slices.Contains(g.Resources, "*"):
				return fmt.Sprintf("%q on every resource", a)
			}
			continue
		}
		switch {
		case act == "*":
			return fmt.Sprintf("every %s action (%q)", svc, a)
		case strings.Contains(act, "*") && anyResource(g) && !readOnlyPattern(act):
			return fmt.Sprintf("%q on every resource", a)
		}
	}
	return ""
}

// readOnlyPrefixes start action patterns that only read ("Get*",
// "Describe*"); such wildcards are the norm for monitoring and are not
// reported.
var readOnlyPrefixes = []string{"get", "list", "describe", "read", "view", "search", "lookup", "batchget", "head"}

func readOnlyPattern(act string) bool {
	prefix, _, _ := strings.Cut(strings.ToLower(act), "*")
	return prefix != "" && slices.Contains(readOnlyPrefixes, prefix)
}

func grantEvidence(g *warden.Grant, why string) map[string]any {
	return map[string]any{"via": g.Via, "scope": g.Scope, "actions": g.Actions, "resources": g.Resources, "reason": why}
}

// privilegeHit collects the grants for which reason says something into
// one identity-level hit.
func privilegeHit(s *Snapshot, reason func(*warden.Grant) string, what string) []Hit {
	var grants []map[string]any
	var reasons []string
	for _, g := range s.Grants {
		if why := reason(g); why != "" {
			if len(grants) < maxEvidenceItems {
				grants = append(grants, grantEvidence(g, why))
			}
			if !slices.Contains(reasons, why) {
				reasons = append(reasons, why)
			}
		}
	}
	if len(grants) == 0 {
		return nil
	}
	return []Hit{{
		Detail:   fmt.Sprintf("%s: %s.", what, strings.Join(reasons, "; ")),
		Evidence: map[string]any{"grants": grants},
	}}
}

// checkAdminPermissions fires when any grant is administrative.
func checkAdminPermissions(s *Snapshot, _ *env) []Hit {
	return privilegeHit(s, adminReason, "Administrative access")
}

// checkWildcardPermissions fires when a non-administrative grant uses
// wildcards broadly.
func checkWildcardPermissions(s *Snapshot, _ *env) []Hit {
	return privilegeHit(s, wildcardReason, "Wildcard access")
}

// IsAdminGrant reports whether g grants administrative access; the risk
// score counts it as exposure.
func IsAdminGrant(g *warden.Grant) bool { return adminReason(g) != "" }
