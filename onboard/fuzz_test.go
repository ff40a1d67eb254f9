package onboard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// FuzzOnboardingInput feeds onboarding requests as callers send them
// (JSON bodies; seeds in testdata/requests) through everything that reads
// them before anything is stored: interval and expiry parsing, trimming,
// validation, the identity and registration entry it would create, the
// privilege classification and the onboarding policy. None of it may
// panic; an error is EINVALID naming a field; a request that validates
// builds an identity and entry the inventory accepts.
func FuzzOnboardingInput(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pol := DefaultPolicy()
	now := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	actor := warden.Actor{Type: "token", ID: "tok-fuzz", Name: "fuzz"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in warden.OnboardingInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		Privileged(in.Permissions)
		r, err := NewRequest(in, actor, now)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) == "" {
				t.Fatalf("input error without code or field: %v", err)
			}
			return
		}
		id := r.NewIdentity(now)
		if err := id.Validate(); err != nil {
			t.Fatalf("a valid request builds an invalid identity: %v", err)
		}
		if !id.Managed || id.Labels[warden.LabelTeam] != r.Team || id.Owner != warden.OwnerOf(r.Owner, r.Team) || id.NextReviewAt == nil {
			t.Fatalf("identity of a valid request = %+v", id)
		}
		if r.WardenWorkload() {
			if err := r.RegistrationEntry("id-1").Validate(); err != nil {
				t.Fatalf("a valid workload request builds an invalid entry: %v", err)
			}
		}
		v := pol.evaluate(r, warden.RoleOperator, id, 0)
		if !v.Allowed || len(v.Errors)+len(v.AutoApproveErrors) > 0 {
			t.Fatalf("default policy on a valid request: %+v", v)
		}
	})
}

// FuzzParsePolicy feeds onboarding policy files (--onboarding-policy) to
// the parser: an error or a policy, never a panic; a policy it accepts
// decides a request without panicking.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(DefaultPolicyText))
	f.Add([]byte(`permit (principal, action == Action::"request", resource) when { context.permissions.contains("get") };`))
	f.Add([]byte(`forbid (principal, action, resource) when { resource.risk_score > context.review_interval_days };`))
	f.Add([]byte(`@id("x") permit (principal, action, resource); @id("x") forbid (principal, action, resource);`))
	r := &warden.OnboardingRequest{Type: warden.OnboardNew, Kind: warden.KindBot, Provider: "slack", ExternalID: "B01", Name: "b",
		Environment: "dev", Team: "t", Permissions: []string{"chat:write"}, RequesterID: "tok", ReviewIntervalDays: 30}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := ParsePolicy("fuzz.cedar", text)
		if err != nil {
			return
		}
		p.evaluate(r, warden.RoleAuditor, r.NewIdentity(time.Unix(0, 0)), 0)
	})
}
