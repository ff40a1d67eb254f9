package onboard

import "strings"

// escalating are permissions that let an identity raise its own or
// another's privileges, whatever else it may do: IAM writes that hand out
// roles or keys, role assumption, and Kubernetes impersonate/escalate/bind.
var escalating = []string{
	"iam:passrole", "iam:createaccesskey", "iam:createuser", "iam:createrole", "iam:attachuserpolicy", "iam:attachrolepolicy",
	"iam:putuserpolicy", "iam:putrolepolicy", "iam:updateassumerolepolicy", "sts:assumerole",
	"impersonate", "escalate", "bind",
}

// adminWords mark a permission (or role name) as administrative wherever
// they appear in it.
var adminWords = []string{"admin", "fullaccess", "full_access", "full-access", "superuser", "owner", "root"}

// Privileged reports whether any permission is administrative: a
// wildcard ("*", "s3:*", "secrets/*"), a name with admin, owner, root,
// superuser or full access in it ("cluster-admin", "AdministratorAccess",
// "AmazonS3FullAccess"), or one that escalates privileges (iam:PassRole,
// sts:AssumeRole, Kubernetes impersonate, escalate, bind). A read verb
// with a trailing * ("s3:Get*") is a read, not a wildcard.
func Privileged(permissions []string) bool {
	for _, p := range permissions {
		if privileged(p) {
			return true
		}
	}
	return false
}

func privileged(p string) bool {
	lower := strings.ToLower(strings.TrimSpace(p))
	if lower == "*" || strings.HasSuffix(lower, ":*") || strings.HasSuffix(lower, "/*") || strings.HasSuffix(lower, ".*") {
		return true
	}
	for _, w := range adminWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	verb := lower
	if i := strings.LastIndexAny(verb, "/."); i >= 0 && !strings.Contains(verb, ":") {
		verb = verb[i+1:]
	}
	for _, e := range escalating {
		if verb == e || strings.HasSuffix(verb, "/"+e) {
			return true
		}
	}
	return false
}
