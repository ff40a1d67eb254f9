package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

func sampleOnboarding() *warden.OnboardingRequest {
	return &warden.OnboardingRequest{
		Type: warden.OnboardNew, Status: warden.OnboardPending, Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
		ExternalID: "system:serviceaccount:billing:invoice-renderer", Name: "invoice-renderer",
		Purpose: "renders invoice PDFs for the billing portal", Team: "team-billing", Owner: "maria.lopez@example.com",
		Environment: "staging", Permissions: []string{"get", "list"}, ReviewIntervalDays: 90,
		Requester: "token:tok-alice(alice)", RequesterID: "tok-alice", RequiredApprovals: 1,
	}
}

func testOnboarding(t *testing.T, open Opener) {
	ctx := actorCtx("alice")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	t.Run("CreateApproveCreatesIdentityInOneTransaction", func(t *testing.T) {
		db := open(t)
		r := sampleOnboarding()
		if err := db.CreateOnboardingRequest(ctx, r, "onboarding.request", nil); err != nil {
			t.Fatal(err)
		}
		if r.ID == "" || r.CreatedAt.IsZero() || r.IdentityID != "" {
			t.Fatalf("created = %+v", r)
		}
		got, err := db.FindOnboardingRequest(context.Background(), r.ID)
		if err != nil || got.Status != warden.OnboardPending || got.Team != "team-billing" || len(got.Permissions) != 2 || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		out, err := db.UpdateOnboardingRequest(actorCtx("bob"), r.ID, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
			o.Status, o.DecidedAt = warden.OnboardApproved, &now
			return &warden.OnboardingEffect{Create: o.NewIdentity(now)}, nil
		})
		if err != nil || out.Status != warden.OnboardApproved || out.IdentityID == "" {
			t.Fatalf("approve = %+v, %v", out, err)
		}
		id, err := db.FindIdentityByID(context.Background(), out.IdentityID)
		if err != nil {
			t.Fatal(err)
		}
		if !id.Managed || id.Owner != "maria.lopez@example.com" || id.Team() != "team-billing" || id.Labels[warden.LabelOnboardingRequest] != r.ID ||
			id.NextReviewAt == nil || !id.NextReviewAt.Equal(now.Add(90*24*time.Hour)) {
			t.Fatalf("identity = %+v", id)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "onboarding_request", TargetID: r.ID})
		if err != nil || len(recs) != 2 || recs[0].Action != "onboarding.request" || recs[1].Action != "onboarding.approve" {
			t.Fatalf("request audit = %+v, %v", recs, err)
		}
		recs, _, err = db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "identity", TargetID: id.ID})
		if err != nil || len(recs) != 1 || recs[0].Action != "identity.create" {
			t.Fatalf("identity audit = %+v, %v", recs, err)
		}
		_, err = db.FindOnboardingRequest(context.Background(), "nope")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.UpdateOnboardingRequest(ctx, "nope", "onboarding.approve", func(*warden.OnboardingRequest) (*warden.OnboardingEffect, error) { return nil, nil })
		wantCode(t, err, warden.ENOTFOUND)
	})
	t.Run("AutoApprovedAtCreationWithEntry", func(t *testing.T) {
		db := open(t)
		r := sampleOnboarding()
		r.Kind, r.Provider, r.ExternalID, r.Name = warden.KindWorkload, warden.ProviderWarden, "spiffe://warden.test/billing/renderer", "renderer"
		r.Permissions = []string{"invoices.read"}
		r.Entry = &warden.OnboardingEntry{Method: warden.AttestJoinToken, Audiences: []string{"https://api.example.org"}}
		r.Status, r.DecidedAt = warden.OnboardApproved, &now
		if err := db.CreateOnboardingRequest(ctx, r, "onboarding.auto_approve", &warden.OnboardingEffect{Create: r.NewIdentity(now), Entry: r.RegistrationEntry("")}); err != nil {
			t.Fatal(err)
		}
		if r.IdentityID == "" || r.EntryID == "" {
			t.Fatalf("created = %+v", r)
		}
		e, err := db.FindRegistrationEntryByID(context.Background(), r.EntryID)
		if err != nil || e.IdentityID != r.IdentityID || e.SPIFFEID != r.ExternalID || len(e.Scopes) != 1 || e.Scopes[0] != "invoices.read" {
			t.Fatalf("entry = %+v, %v", e, err)
		}
		id, _ := db.FindIdentityByID(context.Background(), r.IdentityID)
		if id.Labels[warden.LabelOnboardingRequest] != r.ID {
			t.Fatalf("identity labels = %v, want the request id %s", id.Labels, r.ID)
		}
	})
	t.Run("FailedIdentityLeavesRequestPending", func(t *testing.T) {
		db := open(t)
		r := sampleOnboarding()
		if err := db.CreateOnboardingRequest(ctx, r, "onboarding.request", nil); err != nil {
			t.Fatal(err)
		}
		// The external id is taken in the meantime: the approval must
		// not stick without its identity.
		mustCreate(t, db, &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: r.ExternalID, Name: "squatter"})
		_, err := db.UpdateOnboardingRequest(actorCtx("bob"), r.ID, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
			o.Status, o.DecidedAt = warden.OnboardApproved, &now
			o.Approvals = append(o.Approvals, warden.OnboardingApproval{ApproverID: "tok-bob", Decision: "approve"})
			return &warden.OnboardingEffect{Create: o.NewIdentity(now)}, nil
		})
		wantCode(t, err, warden.ECONFLICT)
		got, _ := db.FindOnboardingRequest(context.Background(), r.ID)
		if got.Status != warden.OnboardPending || got.IdentityID != "" || len(got.Approvals) != 0 {
			t.Fatalf("after failed approval = %+v", got)
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "onboarding_request", TargetID: r.ID})
		if len(recs) != 1 {
			t.Fatalf("audit after failed approval = %d records, want only the request", len(recs))
		}
		// An entry that cannot be stored undoes its identity too.
		w := sampleOnboarding()
		w.Kind, w.Provider, w.ExternalID, w.Name = warden.KindWorkload, warden.ProviderWarden, "spiffe://warden.test/billing/twice", "twice"
		w.Entry = &warden.OnboardingEntry{Method: warden.AttestJoinToken}
		if err := db.CreateOnboardingRequest(ctx, w, "onboarding.request", nil); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if _, err := db.UpdateOnboardingRequest(ctx, w.ID, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
			return nil, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("aborted update = %v", err)
		}
		bad := w.RegistrationEntry("")
		bad.Method = "telepathy"
		_, err = db.UpdateOnboardingRequest(ctx, w.ID, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
			o.Status = warden.OnboardApproved
			return &warden.OnboardingEffect{Create: o.NewIdentity(now), Entry: bad}, nil
		})
		wantCode(t, err, warden.EINVALID)
		if _, err := db.FindIdentityByRef(context.Background(), w.ExternalID, warden.ProviderWarden); warden.ErrorCode(err) != warden.ENOTFOUND {
			t.Fatalf("identity of a failed approval exists: %v", err)
		}
	})
	t.Run("ClaimUpdatesIdentityOnce", func(t *testing.T) {
		db := open(t)
		found := mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS,
			ExternalID: "arn:aws:iam::402118867530:user/ci-deployer", Name: "ci-deployer", Environment: "dev", Labels: map[string]string{"source": "cloudtrail"}})
		claim := func() *warden.OnboardingRequest {
			return &warden.OnboardingRequest{Type: warden.OnboardClaim, Status: warden.OnboardPending, IdentityID: found.ID, Kind: found.Kind,
				Provider: found.Provider, ExternalID: found.ExternalID, Name: found.Name, Purpose: "deploys the docs site from CI",
				Team: "team-docs", Environment: "dev", Requester: "token:tok-alice(alice)", RequesterID: "tok-alice", RequiredApprovals: 1}
		}
		first, second := claim(), claim()
		for _, r := range []*warden.OnboardingRequest{first, second} {
			if err := db.CreateOnboardingRequest(ctx, r, "onboarding.claim", nil); err != nil {
				t.Fatal(err)
			}
		}
		approve := func(r *warden.OnboardingRequest) error {
			_, err := db.UpdateOnboardingRequest(actorCtx("bob"), r.ID, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
				o.Status = warden.OnboardApproved
				return &warden.OnboardingEffect{Claim: func(cur *warden.Identity) warden.IdentityUpdate { return o.ClaimUpdate(cur.Labels, now) }}, nil
			})
			return err
		}
		if err := approve(first); err != nil {
			t.Fatal(err)
		}
		got, _ := db.FindIdentityByID(context.Background(), found.ID)
		if !got.Managed || got.Owner != "team-docs" || got.Purpose != "deploys the docs site from CI" || got.Labels["team"] != "team-docs" ||
			got.Labels["source"] != "cloudtrail" || got.Labels[warden.LabelOnboardingRequest] != first.ID {
			t.Fatalf("claimed identity = %+v", got)
		}
		wantCode(t, approve(second), warden.ECONFLICT)
		if r, _ := db.FindOnboardingRequest(context.Background(), second.ID); r.Status != warden.OnboardPending {
			t.Fatalf("second claim = %s after a refused approval", r.Status)
		}
	})
	t.Run("RejectsInvalid", func(t *testing.T) {
		db := open(t)
		for name, mut := range map[string]func(*warden.OnboardingRequest){
			"NoType":        func(r *warden.OnboardingRequest) { r.Type = "" },
			"BadKind":       func(r *warden.OnboardingRequest) { r.Kind = "robot" },
			"NoPurpose":     func(r *warden.OnboardingRequest) { r.Purpose = " " },
			"NoTeam":        func(r *warden.OnboardingRequest) { r.Team = "" },
			"NoEnvironment": func(r *warden.OnboardingRequest) { r.Environment = "" },
			"NoPermissions": func(r *warden.OnboardingRequest) { r.Permissions = nil },
			"SpaceInScope":  func(r *warden.OnboardingRequest) { r.Permissions = []string{"s3 GetObject"} },
			"NoReview":      func(r *warden.OnboardingRequest) { r.ReviewIntervalDays = 0 },
			"LongReview":    func(r *warden.OnboardingRequest) { r.ReviewIntervalDays = 9999 },
			"ReservedLabel": func(r *warden.OnboardingRequest) { r.Labels = map[string]string{"team": "x"} },
			"EntryForK8s":   func(r *warden.OnboardingRequest) { r.Entry = &warden.OnboardingEntry{Method: warden.AttestJoinToken} },
			"WorkloadNoEntry": func(r *warden.OnboardingRequest) {
				r.Kind, r.Provider, r.ExternalID = warden.KindWorkload, warden.ProviderWarden, "spiffe://warden.test/x"
			},
			"BadStatus": func(r *warden.OnboardingRequest) { r.Status = "maybe" },
		} {
			r := sampleOnboarding()
			mut(r)
			if err := db.CreateOnboardingRequest(ctx, r, "onboarding.request", nil); warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) == "" {
				t.Errorf("%s: err = %v, want invalid naming a field", name, err)
			}
		}
		if list, _, _ := db.FindOnboardingRequests(context.Background(), warden.OnboardingFilter{}); len(list) != 0 {
			t.Fatalf("invalid requests were stored: %d", len(list))
		}
	})
	t.Run("ListsByStatusTypeAndIdentity", func(t *testing.T) {
		db := open(t)
		found := mustCreate(t, db, sampleRole("legacy-exporter"))
		mk := func(status warden.OnboardingStatus, claim bool) *warden.OnboardingRequest {
			r := sampleOnboarding()
			r.Status = status
			if claim {
				r.Type, r.IdentityID, r.Permissions, r.ReviewIntervalDays = warden.OnboardClaim, found.ID, nil, 0
			}
			if err := db.CreateOnboardingRequest(ctx, r, "onboarding.request", nil); err != nil {
				t.Fatal(err)
			}
			return r
		}
		mk(warden.OnboardPending, false)
		mk(warden.OnboardDenied, false)
		mk(warden.OnboardPending, true)
		last := mk(warden.OnboardDenied, true)
		for name, tc := range map[string]struct {
			f    warden.OnboardingFilter
			want int
		}{
			"All":      {warden.OnboardingFilter{}, 4},
			"Pending":  {warden.OnboardingFilter{Status: warden.OnboardPending}, 2},
			"Claims":   {warden.OnboardingFilter{Type: warden.OnboardClaim}, 2},
			"Identity": {warden.OnboardingFilter{IdentityID: found.ID, Status: warden.OnboardPending}, 1},
			"Approved": {warden.OnboardingFilter{Status: warden.OnboardApproved}, 0},
		} {
			list, _, err := db.FindOnboardingRequests(context.Background(), tc.f)
			if err != nil || len(list) != tc.want {
				t.Errorf("%s: %d requests, %v; want %d", name, len(list), err, tc.want)
			}
		}
		page, next, err := db.FindOnboardingRequests(context.Background(), warden.OnboardingFilter{Limit: 3})
		if err != nil || len(page) != 3 || next == "" || page[0].ID != last.ID {
			t.Fatalf("page = %d %q %v", len(page), next, err)
		}
		rest, next, err := db.FindOnboardingRequests(context.Background(), warden.OnboardingFilter{Limit: 3, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" {
			t.Fatalf("page 2 = %d %q %v", len(rest), next, err)
		}
		_, _, err = db.FindOnboardingRequests(context.Background(), warden.OnboardingFilter{Status: "maybe"})
		wantCode(t, err, warden.EINVALID)
	})
	t.Run("ConcurrentApprovalsAreSerialised", func(t *testing.T) {
		db := open(t)
		r := sampleOnboarding()
		r.RequiredApprovals = 8
		if err := db.CreateOnboardingRequest(ctx, r, "onboarding.request", nil); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- approveOnce(db, r.ID, fmt.Sprintf("tok-%d", i), now)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := db.FindOnboardingRequest(context.Background(), r.ID)
		if len(got.Approvals) != 8 || got.Status != warden.OnboardApproved || got.IdentityID == "" {
			t.Fatalf("approvals = %d, status %s, identity %q: want 8 approvals and one identity (an update was lost)", len(got.Approvals), got.Status, got.IdentityID)
		}
		ids, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{Provider: warden.ProviderKubernetes})
		if len(ids) != 1 {
			t.Fatalf("%d identities created, want exactly 1", len(ids))
		}
	})
}

// approveOnce adds one approval the way the service does: the last one
// needed approves the request and creates its identity.
func approveOnce(db *store.DB, id, approver string, now time.Time) error {
	_, err := db.UpdateOnboardingRequest(actorCtx(approver), id, "onboarding.approve", func(o *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
		if o.Status != warden.OnboardPending {
			return nil, warden.Errorf(warden.ECONFLICT, "not pending")
		}
		o.Approvals = append(o.Approvals, warden.OnboardingApproval{ApproverID: approver, Decision: "approve", Time: now})
		if len(o.Approvals) < o.RequiredApprovals {
			return nil, nil
		}
		o.Status = warden.OnboardApproved
		return &warden.OnboardingEffect{Create: o.NewIdentity(now)}, nil
	})
	return err
}
