package govern

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) *time.Time   { t := now.AddDate(0, 0, -n); return &t }
func daysAhead(n int) *time.Time { t := now.AddDate(0, 0, n); return &t }

// base returns a healthy identity: owned, recently used, no credentials.
func base() *Snapshot {
	return &Snapshot{
		Now: now,
		Identity: &warden.Identity{
			ID: "id-1", Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
			ExternalID: "arn:aws:iam::402118867530:role/orders-api", Name: "orders-api",
			Owner: "team-orders", Environment: "prod", Status: warden.StatusActive, Managed: true,
			Labels: map[string]string{}, CreatedAt: now.AddDate(-1, 0, 0), LastUsedAt: daysAgo(1),
		},
	}
}

type mutate func(s *Snapshot)

func with(fns ...mutate) *Snapshot {
	s := base()
	for _, f := range fns {
		f(s)
	}
	return s
}

func cred(t warden.CredentialType, f func(c *warden.Credential)) mutate {
	return func(s *Snapshot) {
		c := &warden.Credential{ID: "cred-" + string(t), IdentityID: s.Identity.ID, Type: t, PublicID: "AKIAEXAMPLE" + string(t),
			Status: warden.CredentialActive, CreatedAt: now.AddDate(0, 0, -10), LastUsedAt: daysAgo(1)}
		if f != nil {
			f(c)
		}
		s.Credentials = append(s.Credentials, c)
	}
}

func perm(actions, resources []string, via string) mutate {
	return func(s *Snapshot) {
		s.Grants = append(s.Grants, &warden.Grant{Kind: warden.GrantPermission, Effect: "allow", Actions: actions, Resources: resources, Via: via})
	}
}

func trust(principals []string, cond string) mutate {
	return func(s *Snapshot) {
		g := &warden.Grant{Kind: warden.GrantTrust, Effect: "allow", Principals: principals, Via: "trust-policy"}
		if cond != "" {
			g.Conditions = json.RawMessage(cond)
		}
		s.Grants = append(s.Grants, g)
	}
}

func identity(f func(i *warden.Identity)) mutate { return func(s *Snapshot) { f(s.Identity) } }
func activity(f func(a *Activity)) mutate        { return func(s *Snapshot) { f(&s.Activity) } }

// ruleCases holds, per rule, named snapshots and how many findings each
// must give. Every evaluator rule needs at least one positive (want > 0)
// and one negative (want 0) case: TestRules_EveryRuleHasPositiveAndNegativeCases.
var ruleCases = map[string][]struct {
	name string
	snap *Snapshot
	want int
}{
	"owner-missing": {
		{"Unowned", with(identity(func(i *warden.Identity) { i.Owner = "" })), 1},
		{"Owned", base(), 0},
	},
	"identity-stale": {
		{"LastUsedLongAgo", with(identity(func(i *warden.Identity) { i.LastUsedAt = daysAgo(200) })), 1},
		{"NeverUsedOld", with(identity(func(i *warden.Identity) { i.LastUsedAt = nil; i.FirstSeenAt = daysAgo(400) })), 1},
		{"RecentCredentialUseCounts", with(identity(func(i *warden.Identity) { i.LastUsedAt = daysAgo(200) }), cred(warden.CredentialAccessKey, nil)), 0},
		{"NeverUsedButNew", with(identity(func(i *warden.Identity) { i.LastUsedAt = nil; i.FirstSeenAt = daysAgo(5) })), 0},
		{"DisabledIsOffboarded", with(identity(func(i *warden.Identity) { i.LastUsedAt = daysAgo(200); i.Status = warden.StatusDisabled })), 0},
		{"UsedRecently", base(), 0},
	},
	"credential-unused": {
		{"KeyIdle", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.LastUsedAt = daysAgo(120) })), 1},
		{"KeyNeverUsedOld", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.LastUsedAt = nil; c.LastRotatedAt = daysAgo(100) })), 1},
		{"KeyUsed", with(cred(warden.CredentialAccessKey, nil)), 0},
		{"InactiveKeyIgnored", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.LastUsedAt = daysAgo(300); c.Status = warden.CredentialInactive })), 0},
	},
	"credential-old": {
		{"KeyNeverRotated", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.CreatedAt = now.AddDate(-2, 0, 0) })), 1},
		{"KeyRotatedLongAgo", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.LastRotatedAt = daysAgo(91) })), 1},
		{"KeyRotatedRecently", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.CreatedAt = now.AddDate(-2, 0, 0); c.LastRotatedAt = daysAgo(30) })), 0},
		{"OldPasswordIsNotAKey", with(cred(warden.CredentialPassword, func(c *warden.Credential) { c.CreatedAt = now.AddDate(-2, 0, 0) })), 0},
		{"RevokedOldKey", with(cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.CreatedAt = now.AddDate(-2, 0, 0); c.Status = warden.CredentialRevoked })), 0},
	},
	"token-no-expiry": {
		{"TokenNeverExpires", with(cred(warden.CredentialToken, nil)), 1},
		{"TokenFiveYears", with(cred(warden.CredentialAPIKey, func(c *warden.Credential) { c.ExpiresAt = daysAhead(5 * 365) })), 1},
		{"TokenNinetyDays", with(cred(warden.CredentialToken, func(c *warden.Credential) { c.ExpiresAt = daysAhead(80) })), 0},
		{"AccessKeyIsNotABearerToken", with(cred(warden.CredentialAccessKey, nil)), 0},
	},
	"multiple-active-keys": {
		{"TwoActiveKeys", with(cred(warden.CredentialAccessKey, nil), cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.ID, c.PublicID = "cred-2", "AKIAEXAMPLE2" })), 1},
		{"OneActiveOneInactive", with(cred(warden.CredentialAccessKey, nil), cred(warden.CredentialAccessKey, func(c *warden.Credential) {
			c.ID, c.PublicID, c.Status = "cred-2", "AKIAEXAMPLE2", warden.CredentialInactive
		})), 0},
		{"KeyAndToken", with(cred(warden.CredentialAccessKey, nil), cred(warden.CredentialToken, nil)), 0},
		{"ReportSlotAndTheSameKeySeenInCloudTrail", with(
			cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.PublicID = "arn:aws:iam::402118867530:role/orders-api#access_key_1" }),
			cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.ID, c.PublicID = "cred-2", "AKIAEXAMPLE2" })), 0},
		{"TwoReportSlots", with(
			cred(warden.CredentialAccessKey, func(c *warden.Credential) { c.PublicID = "arn:aws:iam::402118867530:role/orders-api#access_key_1" }),
			cred(warden.CredentialAccessKey, func(c *warden.Credential) {
				c.ID, c.PublicID = "cred-2", "arn:aws:iam::402118867530:role/orders-api#access_key_2"
			})), 1},
	},
	"admin-permissions": {
		{"StarStar", with(perm([]string{"*"}, []string{"*"}, "inline:admin")), 1},
		{"IAMStar", with(perm([]string{"iam:*"}, []string{"*"}, "inline:iam")), 1},
		{"PassRoleAnyRole", with(perm([]string{"iam:PassRole"}, []string{"*"}, "inline:deploy")), 1},
		{"AdministratorAccessPolicy", with(perm([]string{"ec2:Describe*"}, []string{"*"}, "arn:aws:iam::aws:policy/AdministratorAccess")), 1},
		{"ClusterAdminBinding", with(perm([]string{"get"}, []string{"pods"}, "ClusterRole/cluster-admin@ClusterRoleBinding//ci-admin")), 1},
		{"RBACStarVerbsStarResources", with(perm([]string{"*"}, []string{"*"}, "ClusterRole/god@ClusterRoleBinding//god")), 1},
		{"RoleNamedLikeClusterAdmin", with(perm([]string{"get"}, []string{"pods"}, "Role/not-cluster-admin-helper@RoleBinding/ci/x")), 0},
		{"RBACStarStar", with(perm([]string{"* *"}, nil, "ClusterRole/god")), 1},
		{"PassRoleOneRole", with(perm([]string{"iam:PassRole"}, []string{"arn:aws:iam::402118867530:role/app"}, "inline:deploy")), 0},
		{"DeniedStar", with(func(s *Snapshot) {
			s.Grants = append(s.Grants, &warden.Grant{Kind: warden.GrantPermission, Effect: "deny", Actions: []string{"*"}, Resources: []string{"*"}})
		}), 0},
		{"ScopedRead", with(perm([]string{"s3:GetObject"}, []string{"arn:aws:s3:::orders/*"}, "inline:read")), 0},
	},
	"wildcard-permissions": {
		{"ServiceStar", with(perm([]string{"s3:*"}, []string{"arn:aws:s3:::orders"}, "inline:s3")), 1},
		{"PutStarOnAll", with(perm([]string{"s3:Put*"}, []string{"*"}, "inline:s3")), 1},
		{"ReadOnlyWildcardsOnAll", with(perm([]string{"cloudwatch:Get*", "ec2:Describe*", "s3:List*"}, []string{"*"}, "inline:monitoring")), 0},
		{"RBACVerbStar", with(perm([]string{"* secrets"}, nil, "Role/ns/secret-admin")), 1},
		{"RBACEveryVerbOnSecrets", with(perm([]string{"*"}, []string{"secrets"}, "Role/secret-admin@RoleBinding/ci/x")), 1},
		{"RBACGetEveryResource", with(perm([]string{"get", "list"}, []string{"*"}, "ClusterRole/viewer@ClusterRoleBinding//x")), 1},
		{"RBACNarrow", with(perm([]string{"get", "list"}, []string{"configmaps"}, "Role/reader@RoleBinding/ci/x")), 0},
		{"AdminIsNotCountedTwice", with(perm([]string{"*"}, []string{"*"}, "inline:admin")), 0},
		{"Narrow", with(perm([]string{"get secrets"}, nil, "Role/ns/reader")), 0},
	},
	"external-account-trust": {
		{"UnknownAccount", with(trust([]string{"arn:aws:iam::999988887777:root"}, "")), 1},
		{"UnknownAccountWithExternalID", with(trust([]string{"999988887777"}, `{"StringEquals":{"sts:ExternalId":"x"}}`)), 1},
		{"OwnAccount", with(trust([]string{"arn:aws:iam::402118867530:root"}, "")), 0},
		{"ServicePrincipal", with(trust([]string{"ec2.amazonaws.com"}, "")), 0},
		{"OIDCProviderIsNotAnAccount", with(trust([]string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, `{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:nw/*"}}`)), 0},
	},
	"trust-any-principal": {
		{"Star", with(trust([]string{"*"}, "")), 1},
		{"StarWithOrgCondition", with(trust([]string{"*"}, `{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}`)), 0},
		{"OwnAccount", with(trust([]string{"arn:aws:iam::402118867530:root"}, "")), 0},
	},
	"oidc-trust-no-subject": {
		{"GitHubAudienceOnly", with(trust([]string{"arn:aws:iam::402118867530:oidc-provider/token.actions.githubusercontent.com"}, `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`)), 1},
		{"GitHubNoConditions", with(trust([]string{"token.actions.githubusercontent.com"}, "")), 1},
		{"GitHubAnyRepo", with(trust([]string{"arn:aws:iam::402118867530:oidc-provider/token.actions.githubusercontent.com"}, `{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}`)), 1},
		{"GitHubOneRepo", with(trust([]string{"arn:aws:iam::402118867530:oidc-provider/token.actions.githubusercontent.com"}, `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:northwind/orders:ref:refs/heads/main"}}`)), 0},
		{"EKSServiceAccount", with(trust([]string{"arn:aws:iam::402118867530:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"}, `{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":["system:serviceaccount:orders:api"]}}`)), 0},
		{"NotOIDC", with(trust([]string{"lambda.amazonaws.com"}, "")), 0},
	},
	"third-party-app-broad-scope": {
		{"AppWithRepoScope", with(identity(func(i *warden.Identity) { i.Kind = warden.KindOAuthApp }), perm([]string{"read:user", "repo"}, nil, "oauth")), 1},
		{"AppWithNarrowScope", with(identity(func(i *warden.Identity) { i.Kind = warden.KindOAuthApp }), perm([]string{"read:user"}, nil, "oauth")), 0},
		{"RoleIsNotAnApp", with(perm([]string{"repo"}, nil, "oauth")), 0},
	},
	"console-access": {
		{"PasswordCredential", with(cred(warden.CredentialPassword, nil)), 1},
		{"PasswordLabel", with(identity(func(i *warden.Identity) { i.Labels["aws.password_enabled"] = "true" })), 1},
		{"InactivePassword", with(cred(warden.CredentialPassword, func(c *warden.Credential) { c.Status = warden.CredentialInactive })), 0},
		{"LabelFalse", with(identity(func(i *warden.Identity) { i.Labels["password_enabled"] = "false" })), 0},
	},
	"interactive-use": {
		{"ConsoleLogin", with(activity(func(a *Activity) {
			a.Events, a.Interactive, a.InteractiveActions = 3, 1, []string{"signin:ConsoleLogin"}
		})), 1},
		{"APIOnly", with(activity(func(a *Activity) { a.Events = 100 })), 0},
	},
	"reuse-many-sources": {
		{"ManySources", with(activity(func(a *Activity) { a.Sources = []string{"1", "2", "3", "4", "5", "6"} })), 1},
		{"ManyWorkloads", with(activity(func(a *Activity) { a.Workloads = []string{"a", "b", "c", "d", "e", "f"} })), 1},
		{"FewSources", with(activity(func(a *Activity) { a.Sources = []string{"1", "2"}; a.Workloads = []string{"a"} })), 0},
	},
	"env-mixing": {
		{"ProdIdentityDevBucket", with(perm([]string{"s3:GetObject"}, []string{"arn:aws:s3:::northwind-dev-artifacts/*"}, "inline")), 1},
		{"ProdIdentityStagingActivity", with(activity(func(a *Activity) { a.Environments = []string{"nonprod"} })), 1},
		{"ProdIdentityProdBucket", with(perm([]string{"s3:GetObject"}, []string{"arn:aws:s3:::northwind-prod-orders/*"}, "inline")), 0},
		{"NoEnvironmentKnown", with(identity(func(i *warden.Identity) { i.Environment = "" }), perm([]string{"s3:GetObject"}, []string{"arn:aws:s3:::orders/*"}, "inline")), 0},
	},
	"cert-expiring": {
		{"ExpiresInTenDays", with(cred(warden.CredentialCertificate, func(c *warden.Credential) { c.ExpiresAt = daysAhead(10) })), 1},
		{"ExpiredStillActive", with(cred(warden.CredentialCertificate, func(c *warden.Credential) { c.ExpiresAt = daysAgo(3) })), 1},
		{"ExpiresNextYear", with(cred(warden.CredentialCertificate, func(c *warden.Credential) { c.ExpiresAt = daysAhead(300) })), 0},
	},
	"cert-weak-key": {
		{"RSA1024", with(identity(func(i *warden.Identity) {
			i.Kind = warden.KindCertificate
			i.Labels["x509.key_type"], i.Labels["x509.key_bits"] = "RSA", "1024"
		})), 1},
		{"DSA", with(identity(func(i *warden.Identity) { i.Kind = warden.KindCertificate; i.Labels["key-type"] = "DSA" })), 1},
		{"RSA2048", with(identity(func(i *warden.Identity) {
			i.Kind = warden.KindCertificate
			i.Labels["x509.key_type"], i.Labels["x509.key_bits"] = "RSA", "2048"
		})), 0},
		{"ECDSA256", with(identity(func(i *warden.Identity) {
			i.Kind = warden.KindCertificate
			i.Labels["x509.key_type"], i.Labels["x509.key_bits"] = "ECDSA", "256"
		})), 0},
	},
	"cert-sha1": {
		{"SHA1WithRSA", with(identity(func(i *warden.Identity) {
			i.Kind = warden.KindCertificate
			i.Labels["x509.signature_algorithm"] = "SHA1-RSA"
		})), 1},
		{"SHA256WithRSA", with(identity(func(i *warden.Identity) {
			i.Kind = warden.KindCertificate
			i.Labels["x509.signature_algorithm"] = "SHA256-RSA"
		})), 0},
		{"NotACertificate", with(identity(func(i *warden.Identity) { i.Labels["x509.signature_algorithm"] = "SHA1-RSA" })), 0},
	},
}

func TestRules_PositiveAndNegativeCases(t *testing.T) {
	cfg := DefaultConfig()
	eng := NewEngine(cfg)
	for id, cases := range ruleCases {
		r := cfg.rule(id)
		if r == nil {
			t.Fatalf("rule %s is not in the catalog", id)
		}
		for _, tc := range cases {
			t.Run(id+"/"+tc.name, func(t *testing.T) {
				hits := checks[id](tc.snap, &env{cfg: cfg, params: r.Params, classify: eng.classify})
				if len(hits) != tc.want {
					t.Fatalf("%d hits, want %d: %+v", len(hits), tc.want, hits)
				}
				for _, h := range hits {
					if h.Detail == "" || h.Evidence == nil {
						t.Errorf("hit without detail or evidence: %+v", h)
					}
				}
				// Through the engine the hits become complete findings.
				var got int
				for _, f := range eng.Evaluate(tc.snap) {
					if f.RuleID != id {
						continue
					}
					got++
					if err := f.Validate(); err != nil {
						t.Errorf("finding does not validate: %v", err)
					}
					if !slices.Equal(f.OWASP, r.OWASP) || !slices.Equal(f.NIST, r.NIST) || f.Severity != r.Severity || f.Remediation == "" {
						t.Errorf("finding mapping %v %v %s differs from the rule's %v %v %s", f.OWASP, f.NIST, f.Severity, r.OWASP, r.NIST, r.Severity)
					}
				}
				if got != tc.want {
					t.Errorf("engine gave %d findings of %s, want %d", got, id, tc.want)
				}
			})
		}
	}
}

func TestRules_EveryRuleHasPositiveAndNegativeCases(t *testing.T) {
	for id := range checks {
		var pos, neg bool
		for _, tc := range ruleCases[id] {
			pos = pos || tc.want > 0
			neg = neg || tc.want == 0
		}
		if !pos || !neg {
			t.Errorf("rule %s: positive case %v, negative case %v; both are required", id, pos, neg)
		}
	}
}

func TestRules_CatalogMapsEveryRule(t *testing.T) {
	cfg := DefaultConfig()
	for _, r := range cfg.Rules {
		if r.Source == SourceGovern {
			if _, ok := checks[r.ID]; !ok {
				t.Errorf("rule %s has no check", r.ID)
			}
		}
		if r.Title == "" || r.Description == "" || r.Remediation == "" || len(r.OWASP) == 0 || len(r.NIST) == 0 {
			t.Errorf("rule %s lacks a title, description, remediation, OWASP or NIST mapping", r.ID)
		}
		if !slices.ContainsFunc(r.NIST, func(ref string) bool { return strings.HasPrefix(ref, "CSF ") }) {
			t.Errorf("rule %s maps to no CSF 2.0 subcategory", r.ID)
		}
	}
	for id := range checks {
		if cfg.rule(id) == nil {
			t.Errorf("check %s is not in the catalog", id)
		}
	}
	// The ten OWASP NHI risks are all covered by some rule.
	covered := map[string]bool{}
	for _, r := range cfg.Rules {
		for _, id := range r.OWASP {
			covered[id] = true
		}
	}
	for id := range warden.OWASPNHITop10 {
		if !covered[id] {
			t.Errorf("no rule maps to %s (%s)", id, warden.OWASPNHITop10[id])
		}
	}
}

func TestEngine_DeprovisionedHasNoFindings(t *testing.T) {
	s := with(identity(func(i *warden.Identity) { i.Owner = ""; i.Status = warden.StatusDeprovisioned }), perm([]string{"*"}, []string{"*"}, "x"))
	if got := NewEngine(nil).Evaluate(s); len(got) != 0 {
		t.Fatalf("deprovisioned identity got %d findings", len(got))
	}
}
