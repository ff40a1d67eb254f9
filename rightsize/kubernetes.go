package rightsize

import (
	"strings"
)

// k8sPerm is a Kubernetes permission as an audit event names it: a verb
// on a resource of an API group (with an optional subresource), or on a
// non-resource URL.
type k8sPerm struct {
	Verb     string
	Group    string // "" is the core group
	Resource string // "pods"
	Sub      string // "log" for pods/log
	URL      string // a non-resource URL ("/healthz"); then Resource is ""
}

// parseK8sAction reads the Action warden's audit importer writes: "<verb>
// <resource>[.<group>][/<subresource>]" or "<verb> <url path>".
func parseK8sAction(action string) (k8sPerm, bool) {
	verb, target, ok := strings.Cut(action, " ")
	if !ok || verb == "" || target == "" || strings.ContainsAny(target, " \t") {
		return k8sPerm{}, false
	}
	if strings.HasPrefix(target, "/") {
		return k8sPerm{Verb: verb, URL: target}, true
	}
	resGroup, sub, _ := strings.Cut(target, "/")
	res, group, _ := strings.Cut(resGroup, ".")
	if res == "" {
		return k8sPerm{}, false
	}
	return k8sPerm{Verb: verb, Group: group, Resource: res, Sub: sub}, true
}

// rbacResource is the resource as an RBAC rule lists it: "pods",
// "pods/log"; the URL for a non-resource permission.
func (p k8sPerm) rbacResource() string {
	if p.URL != "" {
		return p.URL
	}
	if p.Sub != "" {
		return p.Resource + "/" + p.Sub
	}
	return p.Resource
}

// k8sObject reads the namespace and object name from the Resource path
// warden's audit importer writes: "/namespaces/<ns>/<resource>/<name>[/<sub>]"
// for namespaced objects, "/<resource>/<name>" for cluster-scoped ones
// ("/namespaces/<name>" is a Namespace object, which is cluster-scoped).
func k8sObject(path string) (ns, name string) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) >= 3 && segs[0] == "namespaces" {
		ns, segs = segs[1], segs[2:]
	}
	if len(segs) >= 2 {
		name = segs[1]
	}
	return ns, name
}

// k8sGrantCovers reports whether an RBAC grant entry (one verb and one
// resource as warden's RBAC importer writes them: "deployments.apps",
// "pods/exec", "pods.*", "*", or a non-resource URL, optionally ending in
// "*") in scope (a namespace or "cluster"), limited to names when the
// rule has resourceNames, allows p used in namespace ns on object name.
func k8sGrantCovers(verb, resource, scope string, names []string, p k8sPerm, ns, name string) bool {
	if verb != "*" && verb != p.Verb {
		return false
	}
	if scope != "cluster" && (scope != ns || ns == "") {
		return false
	}
	if p.URL != "" {
		if !strings.HasPrefix(resource, "/") {
			return false
		}
		if prefix, ok := strings.CutSuffix(resource, "*"); ok {
			return strings.HasPrefix(p.URL, prefix)
		}
		return resource == p.URL
	}
	if strings.HasPrefix(resource, "/") || !k8sResourceMatches(resource, p) {
		return false
	}
	if len(names) > 0 && name != "" {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
	return true
}

// k8sResourceMatches matches an RBAC resource ("*" is every resource and
// subresource, "*/scale" every scale subresource, "pods/*" every
// subresource of pods, "pods.*" pods of any group) against p.
func k8sResourceMatches(grant string, p k8sPerm) bool {
	if grant == "*" {
		return true
	}
	resGroup, sub, hasSub := strings.Cut(grant, "/")
	res, group, hasGroup := strings.Cut(resGroup, ".")
	if res != "*" && res != p.Resource {
		return false
	}
	if hasGroup && group != "*" && group != p.Group || !hasGroup && p.Group != "" {
		return false
	}
	if !hasSub {
		return p.Sub == ""
	}
	return sub == "*" || sub == p.Sub
}
