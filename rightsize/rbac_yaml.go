package rightsize

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// rbacRule is one rule of a proposed Role: the verbs used on one resource
// of one API group, or on one non-resource URL, with their evidence.
type rbacRule struct {
	group, resource, url string
	verbs                map[string]int
}

// kubernetesRBAC writes the least-privilege RBAC for the Kubernetes uses
// as YAML: a Role per namespace the identity acted in, and a ClusterRole
// for cluster-scoped resources, all-namespace requests and non-resource
// URLs (which only a ClusterRole can grant). Use in several namespaces
// gives several Roles rather than one ClusterRole, which bound
// cluster-wide would reach every namespace. Each rule is one API group and
// one resource (subresources such as pods/log are their own resource)
// with exactly the verbs used, sorted, and a comment with the evidence per
// verb. resourceNames are never proposed: a workload that lists or
// creates objects needs the resource, not fixed names, and names seen in
// a window say nothing about the next object it creates. It returns ""
// when there was no Kubernetes use. The output is deterministic.
func kubernetesRBAC(identity *warden.Identity, uses []*use, w Window) string {
	byNS := map[string]map[string]*rbacRule{}
	for _, x := range uses {
		if x.provider != warden.ProviderKubernetes {
			continue
		}
		rules := byNS[x.ns]
		if rules == nil {
			rules = map[string]*rbacRule{}
			byNS[x.ns] = rules
		}
		r := &rbacRule{group: x.k8s.Group, resource: x.k8s.rbacResource()}
		if x.k8s.URL != "" {
			r = &rbacRule{url: x.k8s.URL}
		}
		k := r.group + "\x00" + r.resource + "\x00" + r.url
		if have, ok := rules[k]; ok {
			r = have
		} else {
			r.verbs = map[string]int{}
			rules[k] = r
		}
		r.verbs[x.k8s.Verb] += x.count
	}
	if len(byNS) == 0 {
		return ""
	}
	namespaces := sortedKeys(byNS)
	if namespaces[0] == "" { // cluster-wide last
		namespaces = append(namespaces[1:], "")
	}
	name := roleName(identity)
	saNS, saName, isSA := serviceAccount(identity.ExternalID)
	var b strings.Builder
	fmt.Fprintf(&b, "# Least-privilege RBAC proposed by warden rightsize for %s,\n", comment(identity.ExternalID))
	fmt.Fprintf(&b, "# from its Kubernetes audit events between %s and %s (%s).\n",
		w.Since.UTC().Format(time.RFC3339), w.Until.UTC().Format(time.RFC3339), warden.FormatWindow(w.Until.Sub(w.Since)))
	b.WriteString("# Each rule has exactly the verbs used; its comment counts the events per verb.\n")
	for _, ns := range namespaces {
		kind := "Role"
		if ns == "" {
			kind = "ClusterRole"
		}
		b.WriteString("---\n")
		if isSA {
			if kind == "Role" {
				fmt.Fprintf(&b, "# Bind it: kubectl -n %s create rolebinding %s --role=%s --serviceaccount=%s:%s\n", comment(ns), name, name, comment(saNS), comment(saName))
			} else {
				fmt.Fprintf(&b, "# Bind it: kubectl create clusterrolebinding %s --clusterrole=%s --serviceaccount=%s:%s\n", name, name, comment(saNS), comment(saName))
			}
		}
		b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\n")
		fmt.Fprintf(&b, "kind: %s\nmetadata:\n  name: %s\n", kind, quote(name))
		if ns != "" {
			fmt.Fprintf(&b, "  namespace: %s\n", quote(ns))
		}
		b.WriteString("  labels:\n    app.kubernetes.io/managed-by: \"warden\"\n")
		fmt.Fprintf(&b, "  annotations:\n    warden.dev/identity: %s\n    warden.dev/window: %s\n", quote(identity.ExternalID), quote(warden.FormatWindow(w.Until.Sub(w.Since))))
		b.WriteString("rules:\n")
		rules := make([]*rbacRule, 0, len(byNS[ns]))
		for _, r := range byNS[ns] {
			rules = append(rules, r)
		}
		slices.SortFunc(rules, func(a, b *rbacRule) int {
			return cmp.Or(cmp.Compare(min(len(a.url), 1), min(len(b.url), 1)), cmp.Compare(a.group, b.group),
				cmp.Compare(a.resource, b.resource), cmp.Compare(a.url, b.url))
		})
		for _, r := range rules {
			verbs := sortedKeys(r.verbs)
			evidence := make([]string, len(verbs))
			quoted := make([]string, len(verbs))
			for i, v := range verbs {
				evidence[i] = fmt.Sprintf("%s %d", v, r.verbs[v])
				quoted[i] = quote(v)
			}
			fmt.Fprintf(&b, "  # evidence: %s\n", comment(strings.Join(evidence, ", ")))
			if r.url != "" {
				fmt.Fprintf(&b, "  - nonResourceURLs: [%s]\n", quote(r.url))
			} else {
				fmt.Fprintf(&b, "  - apiGroups: [%s]\n    resources: [%s]\n", quote(r.group), quote(r.resource))
			}
			fmt.Fprintf(&b, "    verbs: [%s]\n", strings.Join(quoted, ", "))
		}
	}
	return b.String()
}

// roleName names the proposed roles after the identity: a DNS subdomain
// (lower-case letters, digits, '-' and '.') ending in "-rightsized".
func roleName(identity *warden.Identity) string {
	base := identity.Name
	if _, n, ok := serviceAccount(identity.ExternalID); ok {
		base = n
	}
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-.")
	if len(s) > 200 {
		s = strings.Trim(s[:200], "-.")
	}
	if s == "" {
		s = "warden"
	}
	return s + "-rightsized"
}

// serviceAccount splits system:serviceaccount:<ns>:<name>.
func serviceAccount(externalID string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(externalID, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// quote writes s as a YAML double-quoted scalar (JSON string syntax,
// which YAML reads the same).
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// comment keeps text on one comment line.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
