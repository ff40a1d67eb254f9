package warden

import "strings"

// Covers reports whether the scope's actions and resources cover a request
// for action on the resource of type resourceType and id resourceID (the
// Cedar action id and entity uid parts). A role scope covers nothing by
// itself: the decision point gives the identity the role instead.
func (s *AccessScope) Covers(action, resourceType, resourceID string) bool {
	if len(s.Actions) == 0 {
		return false
	}
	matched := false
	for _, a := range s.Actions {
		if globMatch(a, action) {
			matched = true
			break
		}
	}
	if !matched {
		return false
	}
	if len(s.Resources) == 0 {
		return true
	}
	for _, r := range s.Resources {
		if r == "*" {
			return true
		}
		typ, id, ok := SplitResourceRef(r)
		if ok && typ == resourceType && globMatch(id, resourceID) {
			return true
		}
	}
	return false
}

// globMatch matches v against pattern, where "*" alone matches anything
// and a trailing "*" matches any suffix; anything else must be equal.
func globMatch(pattern, v string) bool {
	if pattern == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(v, prefix)
	}
	return pattern == v
}

// readVerbs are the verbs that name read-only actions across providers:
// Kubernetes get/list/watch, AWS Get*/List*/Describe*, and the generic
// read/view/query/search words of user action names.
var readVerbs = []string{"get", "list", "watch", "describe", "read", "view", "head", "query", "search", "lookup", "scan", "select"}

// ReadOnly reports whether every action of the scope reads only: the part
// after the last ':', '/' or '.' starts with a read verb ("s3:GetObject",
// "get", "orders.read", "dynamodb:Query"). A role scope, a wildcard or any
// other action is not read-only.
func (s *AccessScope) ReadOnly() bool {
	if s.Role != "" || len(s.Actions) == 0 {
		return false
	}
	for _, a := range s.Actions {
		if !readOnlyAction(a) {
			return false
		}
	}
	return true
}

func readOnlyAction(a string) bool {
	if i := strings.LastIndexAny(a, ":/."); i >= 0 {
		a = a[i+1:]
	}
	lower := strings.ToLower(a)
	for _, v := range readVerbs {
		if !strings.HasPrefix(lower, v) {
			continue
		}
		// The verb must end the word: "get", "Get*", "GetObject",
		// "get_secret" and "list-keys" read; "getaway" does not.
		rest := a[len(v):]
		return rest == "" || rest[0] == '*' || rest[0] == '_' || rest[0] == '-' || rest[0] >= 'A' && rest[0] <= 'Z'
	}
	return false
}
