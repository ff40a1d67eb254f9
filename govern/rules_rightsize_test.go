package govern

import (
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// used folds n allowed CloudTrail events of each action into the
// snapshot's activity, as the evaluator does.
func used(n int, actions ...string) mutate {
	return func(s *Snapshot) {
		for _, a := range actions {
			for i := 0; i < n; i++ {
				s.Activity.Add(&warden.Event{Source: "cloudtrail", Time: now.AddDate(0, 0, -1), Action: a,
					Resource: "arn:aws:s3:::orders/k", Outcome: warden.OutcomeAllow}, nil)
			}
		}
	}
}

// usedK8s folds n allowed Kubernetes audit events of each action in
// namespace ns.
func usedK8s(n int, ns string, actions ...string) mutate {
	return func(s *Snapshot) {
		for _, a := range actions {
			_, res, _ := strings.Cut(a, " ")
			for i := 0; i < n; i++ {
				s.Activity.Add(&warden.Event{Source: "k8s-audit", Time: now.AddDate(0, 0, -1), Action: a,
					Resource: "/namespaces/" + ns + "/" + res, Outcome: warden.OutcomeAllow}, nil)
			}
		}
	}
}

func rbac(verbs, resources []string, scope string) mutate {
	return func(s *Snapshot) {
		s.Grants = append(s.Grants, &warden.Grant{Kind: warden.GrantPermission, Effect: "allow", Source: "k8s",
			Actions: verbs, Resources: resources, Scope: scope, Via: "Role/app@RoleBinding/" + scope + "/app"})
	}
}

var sevenActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "kms:Decrypt"}

func init() {
	ruleCases["unused-permissions"] = []struct {
		name string
		snap *Snapshot
		want int
	}{
		{"ServiceWildcardUsedForOneAction", with(perm([]string{"s3:*"}, []string{"*"}, "inline:s3"), used(25, "s3:GetObject")), 1},
		{"MostConcreteGrantsUnused", with(perm(sevenActions, []string{"*"}, "inline:app"), used(25, "s3:GetObject")), 1},
		{"RBACStarVerbsUsedForGet", with(rbac([]string{"*"}, []string{"secrets"}, "prod"), usedK8s(30, "prod", "get secrets")), 1},
		{"TooLittleActivityToJudge", with(perm([]string{"s3:*"}, []string{"*"}, "inline:s3"), used(19, "s3:GetObject")), 0},
		{"UsesWhatItHolds", with(perm([]string{"s3:GetObject", "s3:PutObject"}, []string{"*"}, "inline:s3"), used(20, "s3:GetObject", "s3:PutObject")), 0},
		{"FewUnused", with(perm(sevenActions[:4], []string{"*"}, "inline:app"), used(25, "s3:GetObject")), 0},
		{"NarrowWildcardUsed", with(perm([]string{"s3:Get*"}, []string{"arn:aws:s3:::orders/*"}, "inline:s3"), used(25, "s3:GetObject")), 0},
		{"ActivityButNoGrants", with(used(50, "s3:GetObject")), 0},
		{"GrantsButNoActivity", with(perm([]string{"*"}, []string{"*"}, "inline:admin")), 0},
	}
}

func TestUnusedPermissions_EvidenceNamesWhatWasUnused(t *testing.T) {
	cfg := DefaultConfig()
	r := cfg.rule("unused-permissions")
	s := with(perm(sevenActions, []string{"*"}, "inline:app"), perm([]string{"dynamodb:*"}, []string{"*"}, "managed:data"),
		used(25, "s3:GetObject", "dynamodb:GetItem"))
	hits := checkUnusedPermissions(s, &env{cfg: cfg, params: r.Params, classify: NewClassifier(cfg.Environments)})
	if len(hits) != 1 {
		t.Fatalf("hits = %+v", hits)
	}
	h := hits[0]
	if want := "In 50 allowed events of the last 30 days: 6 of 8 granted permissions were not used; broad grants dynamodb:* used for 1 permission(s)."; !strings.HasPrefix(h.Detail, want) {
		t.Errorf("detail = %q, want it to start %q", h.Detail, want)
	}
	if h.Evidence["unused_count"] != 6 || h.Evidence["granted_permissions"] != 8 || h.Evidence["events"] != 50 {
		t.Errorf("evidence = %v", h.Evidence)
	}
	unused, _ := h.Evidence["unused"].([]string)
	if len(unused) != 6 || unused[0] != "kms:Decrypt (inline:app)" {
		t.Errorf("unused evidence = %v", unused)
	}
}
