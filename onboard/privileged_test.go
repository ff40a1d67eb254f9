package onboard

import (
	"testing"

	"github.com/warden-nhi/warden"
)

func TestPrivileged_ClassifiesAdminWildcardAndEscalation(t *testing.T) {
	for p, want := range map[string]bool{
		"*": true, "s3:*": true, "secrets/*": true, "orders.*": true, "cluster-admin": true, "AdministratorAccess": true,
		"arn:aws:iam::aws:policy/AmazonS3FullAccess": true, "iam:PassRole": true, "sts:AssumeRole": true, "impersonate": true,
		"rbac.authorization.k8s.io/bind": true, "repo:owner": true,
		"s3:GetObject": false, "s3:Get*": false, "get": false, "list": false, "orders.read": false, "s3:PutObject": false,
		"dynamodb:Query": false, "deploy": false,
	} {
		if got := Privileged([]string{p}); got != want {
			t.Errorf("Privileged(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestDefaultPolicy_Decides walks the shipped policy's cases: which
// requests are approved at once, which need one or two approvers.
func TestDefaultPolicy_Decides(t *testing.T) {
	pol := DefaultPolicy()
	base := func() *warden.OnboardingRequest {
		return &warden.OnboardingRequest{Type: warden.OnboardNew, Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
			Environment: "staging", Permissions: []string{"get", "list"}, RequesterID: "tok-a", Requester: "token:tok-a(a)"}
	}
	claimed := &warden.Identity{ID: "id-1", Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, Status: warden.StatusActive, RiskScore: 10}
	for name, tc := range map[string]struct {
		mut       func(r *warden.OnboardingRequest, i *warden.Identity)
		auto      bool
		approvals int
	}{
		"ReadOnlyStaging": {func(*warden.OnboardingRequest, *warden.Identity) {}, true, 0},
		"ReadOnlyProd":    {func(r *warden.OnboardingRequest, _ *warden.Identity) { r.Environment = "prod" }, false, 1},
		"WriteStaging":    {func(r *warden.OnboardingRequest, _ *warden.Identity) { r.Permissions = []string{"get", "update"} }, false, 1},
		"AdminStaging":    {func(r *warden.OnboardingRequest, _ *warden.Identity) { r.Permissions = []string{"*"} }, false, 1},
		"AdminProd": {func(r *warden.OnboardingRequest, _ *warden.Identity) {
			r.Permissions, r.Environment = []string{"cluster-admin"}, "prod"
		}, false, 2},
		"ReadOnlyCloudUser": {func(r *warden.OnboardingRequest, _ *warden.Identity) { r.Kind = warden.KindCloudUser }, false, 1},
		"ReadOnlyAIAgent":   {func(r *warden.OnboardingRequest, _ *warden.Identity) { r.Kind = warden.KindAIAgent }, false, 1},
		"WorkloadByApprover": {func(r *warden.OnboardingRequest, _ *warden.Identity) {
			r.Kind, r.Provider = warden.KindWorkload, warden.ProviderWarden
		}, false, 1},
		"ClaimLowRiskDev": {func(r *warden.OnboardingRequest, _ *warden.Identity) {
			r.Type, r.Permissions, r.Environment = warden.OnboardClaim, nil, "dev"
		}, true, 0},
		"ClaimHighRisk": {func(r *warden.OnboardingRequest, i *warden.Identity) {
			r.Type, r.Permissions, i.RiskScore = warden.OnboardClaim, nil, 40
		}, false, 1},
		"ClaimNowProd": {func(r *warden.OnboardingRequest, i *warden.Identity) {
			r.Type, r.Permissions, i.Environment = warden.OnboardClaim, nil, "prod"
		}, false, 1},
		"ClaimIntoProd": {func(r *warden.OnboardingRequest, _ *warden.Identity) {
			r.Type, r.Permissions, r.Environment = warden.OnboardClaim, nil, "prod"
		}, false, 1},
		"ClaimQuarantined": {func(r *warden.OnboardingRequest, i *warden.Identity) {
			r.Type, r.Permissions, i.Status = warden.OnboardClaim, nil, warden.StatusQuarantined
		}, false, 1},
	} {
		r, i := base(), *claimed
		tc.mut(r, &i)
		if r.Type == warden.OnboardNew {
			i = *r.NewIdentity(claimed.CreatedAt)
		}
		v := pol.evaluate(r, warden.RoleApprover, &i, 0)
		if name == "ReadOnlyStaging" {
			// A role that may manage the issuer gets its read-only
			// workload (and entry) at once.
			w := base()
			w.Kind, w.Provider = warden.KindWorkload, warden.ProviderWarden
			if v := pol.evaluate(w, warden.RoleOperator, w.NewIdentity(claimed.CreatedAt), 0); !v.AutoApprove {
				t.Errorf("read-only workload by an operator: %+v", v)
			}
		}
		if !v.Allowed || v.AutoApprove != tc.auto || v.Approvals != tc.approvals || len(v.Errors)+len(v.AutoApproveErrors) > 0 {
			t.Errorf("%s: verdict %+v, want auto %v, %d approvals", name, v, tc.auto, tc.approvals)
		}
	}
}
