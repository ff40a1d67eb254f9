package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testPolicies(t *testing.T, open Opener) {
	ctx := context.Background()
	push := func(t *testing.T, db interface {
		CreatePolicyVersion(context.Context, *warden.PolicyVersion) error
	}, text string) *warden.PolicyVersion {
		t.Helper()
		v := &warden.PolicyVersion{Description: "v", Policies: map[string]string{"main.cedar": text}, Schema: "entity Doc;"}
		if err := db.CreatePolicyVersion(actorCtx("admin"), v); err != nil {
			t.Fatalf("push: %v", err)
		}
		return v
	}
	t.Run("PushListActivateAudited", func(t *testing.T) {
		db := open(t)
		_, err := db.ActivePolicyVersion(ctx)
		wantCode(t, err, warden.ENOTFOUND)
		v1 := push(t, db, "permit(principal, action, resource);")
		v2 := push(t, db, "forbid(principal, action, resource);")
		if v1.Version != 1 || v2.Version != 2 || v1.Digest == v2.Digest || len(v1.Digest) != 64 || v1.CreatedBy != "token:tok-admin(admin)" {
			t.Fatalf("versions: %+v %+v", v1, v2)
		}
		list, err := db.FindPolicyVersions(ctx)
		if err != nil || len(list) != 2 || list[0].Version != 2 || list[0].Policies != nil || list[0].Active {
			t.Fatalf("list: %+v %v", list, err)
		}
		a, err := db.ActivatePolicyVersion(actorCtx("admin"), 2)
		if err != nil || a.Version != 2 || a.Previous != 0 || a.Action != "activate" {
			t.Fatalf("activate: %+v %v", a, err)
		}
		got, err := db.ActivePolicyVersion(ctx)
		if err != nil || got.Version != 2 || !got.Active || got.ActivatedAt == nil || got.Policies["main.cedar"] != "forbid(principal, action, resource);" {
			t.Fatalf("active: %+v %v", got, err)
		}
		_, err = db.ActivatePolicyVersion(ctx, 99)
		wantCode(t, err, warden.ENOTFOUND)
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "policy_set"})
		if err != nil || len(recs) != 1 || recs[0].Action != "policy.activate" || recs[0].TargetID != "2" {
			t.Fatalf("audit: %+v %v", recs, err)
		}
		pushes, _, _ := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "policy.push"})
		if len(pushes) != 2 {
			t.Fatalf("push audit records = %d, want 2", len(pushes))
		}
	})
	t.Run("RollbackWalksHistory", func(t *testing.T) {
		db := open(t)
		_, err := db.RollbackPolicyVersion(ctx)
		wantCode(t, err, warden.ECONFLICT)
		for i := 0; i < 3; i++ {
			push(t, db, "permit(principal, action, resource);")
		}
		for _, v := range []int64{1, 2, 3} {
			if _, err := db.ActivatePolicyVersion(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []int64{2, 1} {
			a, err := db.RollbackPolicyVersion(actorCtx("admin"))
			if err != nil || a.Version != want || a.Action != "rollback" {
				t.Fatalf("rollback: %+v %v, want version %d", a, err, want)
			}
			if got, _ := db.ActivePolicyVersion(ctx); got.Version != want {
				t.Fatalf("active = %d, want %d", got.Version, want)
			}
		}
		_, err = db.RollbackPolicyVersion(ctx)
		wantCode(t, err, warden.ECONFLICT)
		recs, _, _ := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "policy.rollback"})
		if len(recs) != 2 {
			t.Fatalf("rollback audit records = %d, want 2", len(recs))
		}
	})
	t.Run("ConcurrentPushesGetDistinctVersions", func(t *testing.T) {
		db := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.CreatePolicyVersion(ctx, &warden.PolicyVersion{Policies: map[string]string{}})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		list, _ := db.FindPolicyVersions(ctx)
		if len(list) != 8 || list[0].Version != 8 {
			t.Fatalf("versions: %d, newest %d", len(list), list[0].Version)
		}
	})
	t.Run("EntitiesPutDelete", func(t *testing.T) {
		db := open(t)
		err := db.PutPolicyEntities(actorCtx("admin"), []*warden.PolicyEntity{
			{Type: "Doc", ID: "a", Parents: []warden.EntityRef{{Type: "Folder", ID: "f"}}, Attrs: json.RawMessage(`{"owner":"x"}`)},
			{Type: "Folder", ID: "f"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutPolicyEntities(ctx, []*warden.PolicyEntity{{Type: "Doc", ID: "a", Attrs: json.RawMessage(`{"owner":"y"}`)}}); err != nil {
			t.Fatal(err)
		}
		list, err := db.FindPolicyEntities(ctx)
		if err != nil || len(list) != 2 || list[0].Type != "Doc" || string(list[0].Attrs) != `{"owner":"y"}` || len(list[0].Parents) != 0 {
			t.Fatalf("entities: %+v %v", list, err)
		}
		if err := db.DeletePolicyEntity(ctx, warden.EntityRef{Type: "Doc", ID: "a"}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeletePolicyEntity(ctx, warden.EntityRef{Type: "Doc", ID: "a"}), warden.ENOTFOUND)
		recs, _, _ := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "policy_entity"})
		if len(recs) != 4 {
			t.Fatalf("entity audit records = %d, want 4", len(recs))
		}
	})
	t.Run("ChangesAnnouncedAfterCommit", func(t *testing.T) {
		db := open(t)
		sub, cancel := context.WithCancel(ctx)
		defer cancel()
		if err := db.StartChangeListener(sub, nil); err != nil {
			t.Fatal(err)
		}
		changes := db.SubscribeChanges(sub)
		i := mustCreate(t, db, &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://x/a", Name: "a"})
		// A failed change announces nothing.
		_, err := db.UpdateIdentity(ctx, "missing", warden.IdentityUpdate{Owner: ptr("x")})
		wantCode(t, err, warden.ENOTFOUND)
		if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Status: ptr(warden.StatusQuarantined)}); err != nil {
			t.Fatal(err)
		}
		got := map[warden.Change]int{}
		deadline := time.After(5 * time.Second)
		for got[warden.Change{Type: "identity", ID: i.ID}] < 2 {
			select {
			case c := <-changes:
				got[c]++
			case <-deadline:
				t.Fatalf("changes received: %v", got)
			}
		}
	})
}
