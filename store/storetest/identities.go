package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func sampleRole(name string) *warden.Identity {
	return &warden.Identity{
		Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::111122223333:role/service/" + name, Name: name,
		Owner: "team-payments", Environment: "prod", Managed: true,
		Labels: map[string]string{"app": name, "team": "payments"},
	}
}

func testIdentities(t *testing.T, open Opener) {
	t.Run("FindByIDs", func(t *testing.T) {
		db := open(t)
		a, b := mustCreate(t, db, sampleRole("alpha")), mustCreate(t, db, sampleRole("beta"))
		mustCreate(t, db, sampleRole("gamma"))
		got, err := db.FindIdentitiesByID(context.Background(), []string{b.ID, "no-such-id", a.ID, a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[a.ID].ExternalID != a.ExternalID || got[b.ID].Name != b.Name {
			t.Fatalf("found %+v", got)
		}
		if none, err := db.FindIdentitiesByID(context.Background(), nil); err != nil || len(none) != 0 {
			t.Fatalf("no ids: %v, %v", none, err)
		}
		_, err = db.FindIdentitiesByID(context.Background(), make([]string, warden.MaxPageSize+1))
		wantCode(t, err, warden.EINVALID)
	})
	t.Run("CreateAndFind", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		lastUsed := time.Date(2026, 2, 1, 8, 30, 0, 987654321, time.UTC)
		in := sampleRole("checkout")
		in.LastUsedAt = &lastUsed
		mustCreate(t, db, in)
		if in.ID == "" || in.Status != warden.StatusActive {
			t.Fatalf("created identity: id=%q status=%q", in.ID, in.Status)
		}
		got, err := db.FindIdentityByID(context.Background(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ExternalID != in.ExternalID || got.Owner != "team-payments" || got.Labels["app"] != "checkout" || !got.Managed {
			t.Fatalf("round trip: got %+v", got)
		}
		if !got.CreatedAt.Equal(c.t.Truncate(time.Microsecond)) {
			t.Fatalf("created_at = %v, want %v (microsecond precision)", got.CreatedAt, c.t)
		}
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(lastUsed.Truncate(time.Microsecond)) {
			t.Fatalf("last_used_at = %v, want %v", got.LastUsedAt, lastUsed)
		}
		byRef, err := db.FindIdentityByRef(context.Background(), in.ExternalID, "")
		if err != nil || byRef.ID != in.ID {
			t.Fatalf("find by external id: %v, %v", byRef, err)
		}
		byRef, err = db.FindIdentityByRef(context.Background(), in.ID, "")
		if err != nil || byRef.ID != in.ID {
			t.Fatalf("find by id: %v, %v", byRef, err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := open(t)
		_, err := db.FindIdentityByID(context.Background(), "0193d1a2-0000-7000-8000-000000000000")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.FindIdentityByRef(context.Background(), "arn:aws:iam::1:role/nope", "")
		wantCode(t, err, warden.ENOTFOUND)
		_, err = db.UpdateIdentity(context.Background(), "missing", warden.IdentityUpdate{Owner: ptr("x")})
		wantCode(t, err, warden.ENOTFOUND)
	})

	t.Run("ErrConflictDuplicateExternalID", func(t *testing.T) {
		db := open(t)
		mustCreate(t, db, sampleRole("dup"))
		wantCode(t, db.CreateIdentity(context.Background(), sampleRole("dup")), warden.ECONFLICT)
		// The same external id under another provider is a different identity.
		other := sampleRole("dup")
		other.Provider = "generic"
		mustCreate(t, db, other)
		_, err := db.FindIdentityByRef(context.Background(), other.ExternalID, "")
		wantCode(t, err, warden.ECONFLICT)
		got, err := db.FindIdentityByRef(context.Background(), other.ExternalID, "generic")
		if err != nil || got.ID != other.ID {
			t.Fatalf("find with provider: %v, %v", got, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		db := open(t)
		for name, i := range map[string]*warden.Identity{
			"kind":        {Kind: "robot", Provider: "aws", ExternalID: "x", Name: "x"},
			"provider":    {Kind: warden.KindBot, Provider: "AWS!", ExternalID: "x", Name: "x"},
			"external_id": {Kind: warden.KindBot, Provider: "aws", Name: "x"},
			"name":        {Kind: warden.KindBot, Provider: "aws", ExternalID: "x"},
			"environment": {Kind: warden.KindBot, Provider: "aws", ExternalID: "x", Name: "x", Environment: "Prod Env"},
			"labels":      {Kind: warden.KindBot, Provider: "aws", ExternalID: "x", Name: "x", Labels: map[string]string{"bad key": "v"}},
			"status":      {Kind: warden.KindBot, Provider: "aws", ExternalID: "x", Name: "x", Status: "sleeping"},
		} {
			err := db.CreateIdentity(context.Background(), i)
			wantCode(t, err, warden.EINVALID)
			if got := warden.ErrorField(err); got != name {
				t.Errorf("%s: error names field %q", name, got)
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		i := mustCreate(t, db, sampleRole("ledger"))
		c.advance(time.Hour)
		review := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		got, err := db.UpdateIdentity(actorCtx("alice"), i.ID, warden.IdentityUpdate{
			Owner: ptr("team-ledger"), Labels: &map[string]string{"tier": "1"}, NextReviewAt: &review,
			Status: ptr(warden.StatusQuarantined), StatusReason: ptr("key leaked"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != "team-ledger" || got.Labels["tier"] != "1" || got.Labels["app"] != "" || got.Status != warden.StatusQuarantined ||
			got.NextReviewAt == nil || !got.NextReviewAt.Equal(review) || !got.UpdatedAt.Equal(c.t.Truncate(time.Microsecond)) {
			t.Fatalf("updated identity: %+v", got)
		}
		reread, _ := db.FindIdentityByID(context.Background(), i.ID)
		if reread.Owner != "team-ledger" || reread.Labels["tier"] != "1" || len(reread.Labels) != 1 {
			t.Fatalf("reread: %+v", reread)
		}
		// Label filter sees the replaced labels.
		page, _, err := db.FindIdentities(context.Background(), warden.IdentityFilter{Labels: map[string]string{"app": ""}})
		if err != nil || len(page) != 0 {
			t.Fatalf("old label still indexed: %d, %v", len(page), err)
		}
		got, err = db.UpdateIdentity(context.Background(), i.ID, warden.IdentityUpdate{ClearNextReview: true})
		if err != nil || got.NextReviewAt != nil {
			t.Fatalf("clear review: %+v, %v", got, err)
		}
		_, err = db.UpdateIdentity(context.Background(), i.ID, warden.IdentityUpdate{})
		wantCode(t, err, warden.EINVALID)
		_, err = db.UpdateIdentity(context.Background(), i.ID, warden.IdentityUpdate{Status: ptr(warden.StatusDeprovisioned)})
		wantCode(t, err, warden.EINVALID)
	})

	t.Run("Deprovision", func(t *testing.T) {
		db := open(t)
		i := mustCreate(t, db, sampleRole("batch"))
		cred := &warden.Credential{IdentityID: i.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAEXAMPLEBATCH0001"}
		if err := db.CreateCredential(context.Background(), cred); err != nil {
			t.Fatal(err)
		}
		got, err := db.DeprovisionIdentity(actorCtx("bob"), i.ID, "service retired")
		if err != nil || got.Status != warden.StatusDeprovisioned || got.StatusReason != "service retired" {
			t.Fatalf("deprovision: %+v, %v", got, err)
		}
		c, _ := db.FindCredentialByID(context.Background(), cred.ID)
		if c.Status != warden.CredentialRevoked {
			t.Fatalf("credential status after deprovision = %s, want revoked", c.Status)
		}
		_, err = db.UpdateIdentity(context.Background(), i.ID, warden.IdentityUpdate{Owner: ptr("x")})
		wantCode(t, err, warden.ECONFLICT)
		err = db.CreateCredential(context.Background(), &warden.Credential{IdentityID: i.ID, Type: warden.CredentialAPIKey, PublicID: "k2"})
		wantCode(t, err, warden.ECONFLICT)
		// Deprovisioning twice is a no-op.
		if _, err := db.DeprovisionIdentity(context.Background(), i.ID, ""); err != nil {
			t.Fatal(err)
		}
	})
}
