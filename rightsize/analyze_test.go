package rightsize

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func k8sEvent(action, resource string, outcome warden.Outcome) *warden.Event {
	return &warden.Event{Source: "k8s-audit", Time: t0, Action: action, Resource: resource, Outcome: outcome}
}

func ctEvent(action, resource string, outcome warden.Outcome) *warden.Event {
	return &warden.Event{Source: "cloudtrail", Time: t0, Action: action, Resource: resource, Outcome: outcome,
		Principal: "arn:aws:iam::318274650912:role/app", Region: "eu-central-1"}
}

func usageOf(events ...*warden.Event) *Usage {
	u := NewUsage()
	for _, e := range events {
		u.Add(e)
	}
	return u
}

func TestK8sGrantCovers(t *testing.T) {
	pods := k8sPerm{Verb: "get", Resource: "pods"}
	podLog := k8sPerm{Verb: "get", Resource: "pods", Sub: "log"}
	deploy := k8sPerm{Verb: "patch", Group: "apps", Resource: "deployments"}
	scale := k8sPerm{Verb: "update", Group: "apps", Resource: "deployments", Sub: "scale"}
	healthz := k8sPerm{Verb: "get", URL: "/healthz"}
	for _, tc := range []struct {
		name                  string
		verb, resource, scope string
		names                 []string
		p                     k8sPerm
		ns, object            string
		want                  bool
	}{
		{"Exact", "get", "pods", "prod", nil, pods, "prod", "p1", true},
		{"OtherNamespace", "get", "pods", "prod", nil, pods, "dev", "p1", false},
		{"ClusterScopeCoversNamespaces", "get", "pods", "cluster", nil, pods, "dev", "p1", true},
		{"NamespaceScopeNotClusterWide", "get", "pods", "prod", nil, pods, "", "", false},
		{"OtherVerb", "list", "pods", "prod", nil, pods, "prod", "", false},
		{"StarVerb", "*", "pods", "prod", nil, pods, "prod", "", true},
		{"StarResourceCoversSubresources", "get", "*", "prod", nil, podLog, "prod", "p1", true},
		{"ResourceDoesNotCoverSubresource", "get", "pods", "prod", nil, podLog, "prod", "p1", false},
		{"SubresourceWildcard", "get", "pods/*", "prod", nil, podLog, "prod", "p1", true},
		{"Subresource", "get", "pods/log", "prod", nil, podLog, "prod", "p1", true},
		{"GroupQualified", "patch", "deployments.apps", "prod", nil, deploy, "prod", "d", true},
		{"CoreDoesNotCoverApps", "patch", "deployments", "prod", nil, deploy, "prod", "d", false},
		{"AnyGroup", "patch", "deployments.*", "prod", nil, deploy, "prod", "d", true},
		{"GroupSubresource", "update", "deployments.apps/scale", "prod", nil, scale, "prod", "d", true},
		{"ResourceNamesMatch", "get", "pods", "prod", []string{"p1"}, pods, "prod", "p1", true},
		{"ResourceNamesOther", "get", "pods", "prod", []string{"p2"}, pods, "prod", "p1", false},
		{"ResourceNamesUnnamedRequest", "get", "pods", "prod", []string{"p2"}, pods, "prod", "", true},
		{"NonResourceURL", "get", "/healthz", "cluster", nil, healthz, "", "", true},
		{"NonResourceURLPrefix", "get", "/heal*", "cluster", nil, healthz, "", "", true},
		{"NonResourceURLOther", "get", "/metrics", "cluster", nil, healthz, "", "", false},
		{"ResourceRuleIsNotURL", "get", "pods", "cluster", nil, healthz, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := k8sGrantCovers(tc.verb, tc.resource, tc.scope, tc.names, tc.p, tc.ns, tc.object); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseK8sAction(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want k8sPerm
		ok   bool
	}{
		{"get secrets", k8sPerm{Verb: "get", Resource: "secrets"}, true},
		{"patch deployments.apps", k8sPerm{Verb: "patch", Group: "apps", Resource: "deployments"}, true},
		{"create pods/exec", k8sPerm{Verb: "create", Resource: "pods", Sub: "exec"}, true},
		{"update ingresses.networking.k8s.io/status", k8sPerm{Verb: "update", Group: "networking.k8s.io", Resource: "ingresses", Sub: "status"}, true},
		{"get /healthz", k8sPerm{Verb: "get", URL: "/healthz"}, true},
		{"get", k8sPerm{}, false},
		{"get .apps", k8sPerm{}, false},
		{"get a b", k8sPerm{}, false},
	} {
		got, ok := parseK8sAction(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseK8sAction(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestK8sObject(t *testing.T) {
	for _, tc := range []struct{ path, ns, name string }{
		{"/namespaces/prod/pods/p1", "prod", "p1"},
		{"/namespaces/prod/pods/p1/log", "prod", "p1"},
		{"/namespaces/prod/pods", "prod", ""},
		{"/namespaces/prod", "", "prod"}, // the Namespace object itself
		{"/namespaces", "", ""},
		{"/nodes/n1", "", "n1"},
		{"/pods", "", ""},
	} {
		if ns, name := k8sObject(tc.path); ns != tc.ns || name != tc.name {
			t.Errorf("k8sObject(%q) = %q, %q; want %q, %q", tc.path, ns, name, tc.ns, tc.name)
		}
	}
}

func TestCompare_AWSResourcesAndExclusions(t *testing.T) {
	cond, _ := json.Marshal(map[string][]string{"NotAction": {"iam:*"}})
	grants := []*warden.Grant{
		{ID: "g1", Kind: warden.GrantPermission, Effect: "allow", Source: "aws-iam", Via: "inline:intake",
			Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::intake/*"}},
		{ID: "g2", Kind: warden.GrantPermission, Effect: "allow", Source: "aws-iam", Via: "inline:archive",
			Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::archive/*"}},
		{ID: "g3", Kind: warden.GrantPermission, Effect: "allow", Source: "aws-iam", Via: "inline:legacy",
			Actions: []string{"*"}, Resources: []string{"*"}, Conditions: cond},
		{ID: "g4", Kind: warden.GrantPermission, Effect: "deny", Source: "aws-iam", Via: "inline:guard",
			Actions: []string{"s3:DeleteObject"}, Resources: []string{"*"}},
		{ID: "g5", Kind: warden.GrantTrust, Effect: "allow", Source: "aws-iam", Via: "trust-policy", Principals: []string{"ec2.amazonaws.com"}},
	}
	u := usageOf(
		ctEvent("s3:GetObject", "arn:aws:s3:::intake/a.json", warden.OutcomeAllow),
		ctEvent("s3:GetObject", "arn:aws:s3:::intake/b.json", warden.OutcomeAllow),
		ctEvent("iam:ListRoles", "", warden.OutcomeAllow),
	)
	c := Compare(grants, u)
	by := map[string]warden.UsedPermission{}
	for _, up := range c.Used {
		by[up.Permission] = up
	}
	if got := by["s3:GetObject"].GrantedBy; !slices.Equal(got, []string{"inline:intake", "inline:legacy"}) {
		t.Errorf("s3:GetObject granted by %v, want the intake statement and the NotAction one", got)
	}
	if got := by["iam:ListRoles"].GrantedBy; len(got) != 0 {
		t.Errorf("iam:ListRoles granted by %v, but the only '*' grant excludes iam:*", got)
	}
	var unused []string
	for _, g := range c.Unused {
		unused = append(unused, g.Via+" "+g.Permission)
	}
	if want := []string{"inline:archive s3:GetObject"}; !slices.Equal(unused, want) {
		t.Errorf("unused = %v, want %v (deny and trust grants are not permissions)", unused, want)
	}
	if len(c.Broad) != 1 || c.Broad[0].Permission != "* except iam:*" || c.Broad[0].Count != 2 {
		t.Errorf("broad = %+v, want the NotAction grant covering two events", c.Broad)
	}
	if c.Granted != 3 {
		t.Errorf("granted entries = %d, want 3", c.Granted)
	}
}

func TestUsage_CountsOutcomesAndSources(t *testing.T) {
	u := usageOf(
		ctEvent("s3:GetObject", "arn:aws:s3:::b/k", warden.OutcomeAllow),
		ctEvent("s3:DeleteObject", "arn:aws:s3:::b/k", warden.OutcomeDeny),
		ctEvent("s3:GetObject", "arn:aws:s3:::b/missing", warden.OutcomeError),
		ctEvent("sts:GetCallerIdentity", "", warden.OutcomeAllow),
		k8sEvent("get pods", "/namespaces/prod/pods/p1", warden.OutcomeAllow),
		k8sEvent("nonsense", "", warden.OutcomeAllow),
		&warden.Event{Source: "github-audit", Time: t0, Action: "repo.create", Outcome: warden.OutcomeAllow},
	)
	want := warden.RightsizeCounts{Events: 7, Used: 2, Denied: 1, Failed: 1, NoPermission: 1, Unmapped: 2}
	if got := u.Counts(); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

func TestIAMPolicy_WildcardResourceWhenAnEventNamesNone(t *testing.T) {
	u := usageOf(
		ctEvent("lambda:Invoke", "arn:aws:lambda:eu-central-1:318274650912:function:orders", warden.OutcomeAllow),
		ctEvent("lambda:Invoke", "", warden.OutcomeAllow),
		ctEvent("lambda:GetFunction20150331v2", "arn:aws:lambda:eu-central-1:318274650912:function:orders", warden.OutcomeAllow),
	)
	p := iamPolicy(u.sortedUses())
	want := []warden.IAMStatement{
		{Sid: "LambdaAccess1", Effect: "Allow", Action: []string{"lambda:InvokeFunction"}, Resource: []string{"*"}},
		{Sid: "LambdaAccess2", Effect: "Allow", Action: []string{"lambda:GetFunction"}, Resource: []string{"arn:aws:lambda:eu-central-1:318274650912:function:orders"}},
	}
	if p == nil || p.Version != "2012-10-17" || !slices.EqualFunc(p.Statement, want, func(a, b warden.IAMStatement) bool {
		return a.Sid == b.Sid && a.Effect == b.Effect && slices.Equal(a.Action, b.Action) && slices.Equal(a.Resource, b.Resource)
	}) {
		t.Errorf("policy = %+v, want statements %+v", p, want)
	}
	if iamPolicy(usageOf(k8sEvent("get pods", "/pods", warden.OutcomeAllow)).sortedUses()) != nil {
		t.Error("a policy without statements was proposed")
	}
}

func TestKubernetesRBAC_RolePerNamespaceAndClusterRole(t *testing.T) {
	sa := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
		ExternalID: "system:serviceaccount:ops:Report_Bot", Name: "Report_Bot"}
	u := usageOf(
		k8sEvent("get pods/log", "/namespaces/prod/pods/p1/log", warden.OutcomeAllow),
		k8sEvent("list deployments.apps", "/namespaces/prod/deployments.apps", warden.OutcomeAllow),
		k8sEvent("get configmaps", "/namespaces/dev/configmaps/c1", warden.OutcomeAllow),
		k8sEvent("list pods", "/pods", warden.OutcomeAllow), // every namespace
		k8sEvent("get nodes", "/nodes/n1", warden.OutcomeAllow),
		k8sEvent("get /metrics", "/metrics", warden.OutcomeAllow),
		k8sEvent("delete pods", "/namespaces/prod/pods/p1", warden.OutcomeDeny),
	)
	y := kubernetesRBAC(sa, u.sortedUses(), Window{Since: t0.AddDate(0, 0, -30), Until: t0})
	for _, want := range []string{
		"kind: Role\nmetadata:\n  name: \"report-bot-rightsized\"\n  namespace: \"dev\"",
		"kind: Role\nmetadata:\n  name: \"report-bot-rightsized\"\n  namespace: \"prod\"",
		"kind: ClusterRole\nmetadata:\n  name: \"report-bot-rightsized\"\n  labels",
		"  - apiGroups: [\"apps\"]\n    resources: [\"deployments\"]\n    verbs: [\"list\"]",
		"  - apiGroups: [\"\"]\n    resources: [\"pods/log\"]\n    verbs: [\"get\"]",
		"  - nonResourceURLs: [\"/metrics\"]\n    verbs: [\"get\"]",
		"--serviceaccount=ops:Report_Bot",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(y, "delete") {
		t.Errorf("a denied verb is in the proposal:\n%s", y)
	}
	// dev before prod, the ClusterRole last; in it resources before URLs.
	if !(strings.Index(y, `"dev"`) < strings.Index(y, `"prod"`) && strings.Index(y, `"prod"`) < strings.Index(y, "kind: ClusterRole") &&
		strings.Index(y, `["nodes"]`) < strings.Index(y, "nonResourceURLs")) {
		t.Errorf("documents or rules out of order:\n%s", y)
	}
	if again := kubernetesRBAC(sa, u.sortedUses(), Window{Since: t0.AddDate(0, 0, -30), Until: t0}); again != y {
		t.Error("the YAML is not deterministic")
	}
}

func TestRoleName(t *testing.T) {
	for _, tc := range []struct{ external, name, want string }{
		{"system:serviceaccount:prod:inventory-sync", "inventory-sync", "inventory-sync-rightsized"},
		{"arn:aws:iam::1:user/Jane Doe", "Jane Doe", "jane-doe-rightsized"},
		{"x", "--", "warden-rightsized"},
	} {
		if got := roleName(&warden.Identity{ExternalID: tc.external, Name: tc.name}); got != tc.want {
			t.Errorf("roleName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
