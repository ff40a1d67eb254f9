package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// ownedBy returns an IAM user of the person named.
func ownedBy(name, owner string) *warden.Identity {
	return &warden.Identity{
		Kind: warden.KindCloudUser, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::111122223333:user/svc/" + name, Name: name,
		Owner: owner, Environment: "prod", Managed: true, Labels: map[string]string{"app": name},
	}
}

func newOffboarding(person string, departed time.Time) *warden.Offboarding {
	return &warden.Offboarding{Person: person, DepartedAt: departed, Deadline: departed.Add(14 * 24 * time.Hour), Source: warden.OffboardSourceAPI}
}

func mustCredential(t *testing.T, db *store.DB, identityID, publicID string, status warden.CredentialStatus) *warden.Credential {
	t.Helper()
	c := &warden.Credential{IdentityID: identityID, Type: warden.CredentialAccessKey, PublicID: publicID, Status: status}
	if err := db.CreateCredential(actorCtx("tester"), c); err != nil {
		t.Fatalf("create credential %s: %v", publicID, err)
	}
	return c
}

func testOffboarding(t *testing.T, open Opener) {
	ctx := actorCtx("hr-sync")
	departed := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)

	t.Run("FlagsOnlyThePersonsIdentitiesInOneAuditedWrite", func(t *testing.T) {
		db := open(t)
		a := mustCreate(t, db, ownedBy("billing-export", "Alice@Example.com"))
		b := mustCreate(t, db, ownedBy("ledger-sync", "alice@example.com"))
		other := mustCreate(t, db, ownedBy("bob-tool", "bob@example.com"))
		similar := mustCreate(t, db, ownedBy("alice-team-bot", "alice@example.com.au"))
		gone := mustCreate(t, db, ownedBy("old-job", "alice@example.com"))
		if _, err := db.DeprovisionIdentity(ctx, gone.ID, "retired"); err != nil {
			t.Fatal(err)
		}
		key := mustCredential(t, db, a.ID, "AKIAEXAMPLEBILLING01", warden.CredentialActive)
		mustCredential(t, db, a.ID, "AKIAEXAMPLEBILLING00", warden.CredentialRevoked)
		mustCredential(t, db, other.ID, "AKIAEXAMPLEBOBTOOL01", warden.CredentialActive)

		listed := warden.RotationCredential{PublicID: "AKIAEXAMPLECREATED01", Reason: warden.RotateCreatedByPerson, CreatedBy: "CreateAccessKey by alice@example.com"}
		in := newOffboarding("  ALICE@example.com ", departed)
		in.Credentials = []warden.RotationCredential{listed}
		o, created, err := db.CreateOffboarding(ctx, in)
		if err != nil || !created {
			t.Fatalf("create = %v, %v", created, err)
		}
		if o.ID == "" || o.Person != "alice@example.com" || o.Status != warden.OffboardingOpen || o.CreatedBy != "token:tok-hr-sync(hr-sync)" || o.CreatedAt.IsZero() {
			t.Fatalf("offboarding = %+v", o)
		}
		if len(o.Items) != 2 || o.Items[0].IdentityID != a.ID || o.Items[1].IdentityID != b.ID {
			t.Fatalf("items = %+v, want %s and %s only", o.Items, a.ID, b.ID)
		}
		if it := o.Items[0]; it.Status != warden.OffboardItemFlagged || it.PreviousOwner != "Alice@Example.com" || it.IdentityExternalID != a.ExternalID {
			t.Fatalf("item = %+v", it)
		}
		if len(o.Credentials) != 2 || o.Credentials[0] != listed || o.Credentials[1].CredentialID != key.ID ||
			o.Credentials[1].Reason != warden.RotateOwnedIdentity || o.Credentials[1].IdentityID != a.ID {
			t.Fatalf("credentials = %+v", o.Credentials)
		}
		for _, id := range []string{a.ID, b.ID} {
			got, _ := db.FindIdentityByID(context.Background(), id)
			if got.Owner != "" || got.Labels[warden.LabelOffboarding] != o.ID || got.Labels[warden.LabelPreviousOwner] != "alice@example.com" || got.Labels["app"] == "" {
				t.Fatalf("flagged identity = %+v", got)
			}
		}
		for _, id := range []*warden.Identity{other, similar} {
			if got, _ := db.FindIdentityByID(context.Background(), id.ID); got.Owner != id.Owner || got.Labels[warden.LabelOffboarding] != "" {
				t.Fatalf("identity of someone else changed: %+v", got)
			}
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "offboarding.create"})
		if err != nil || len(recs) != 1 || recs[0].TargetID != o.ID {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		upd, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "identity", TargetID: a.ID, Action: "identity.update"})
		if len(upd) != 1 || upd[0].Seq != recs[0].Seq+1 {
			t.Fatalf("identity audit = %+v (offboarding seq %d)", upd, recs[0].Seq)
		}
	})

	t.Run("OpenOffboardingIsReturnedNotDuplicated", func(t *testing.T) {
		db := open(t)
		mustCreate(t, db, ownedBy("reporting", "carol"))
		first, created, err := db.CreateOffboarding(ctx, newOffboarding("carol", departed))
		if err != nil || !created {
			t.Fatal(created, err)
		}
		// A new identity given to carol meanwhile is not taken by a repeat.
		late := mustCreate(t, db, ownedBy("late", "carol"))
		again, created, err := db.CreateOffboarding(ctx, newOffboarding("CAROL", departed.Add(time.Hour)))
		if err != nil || created || again.ID != first.ID || len(again.Items) != 1 {
			t.Fatalf("again = %+v, %v, %v", again, created, err)
		}
		if got, _ := db.FindIdentityByID(context.Background(), late.ID); got.Owner != "carol" {
			t.Fatalf("repeat changed %+v", got)
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "offboarding.create"})
		if len(recs) != 1 {
			t.Fatalf("audit records = %d, want 1", len(recs))
		}
		// Once closed, the person can be offboarded again.
		if _, err := db.UpdateOffboarding(ctx, first.ID, "offboarding.close", func(o *warden.Offboarding) error {
			o.Status = warden.OffboardingClosed
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		next, created, err := db.CreateOffboarding(ctx, newOffboarding("carol", departed.Add(48*time.Hour)))
		if err != nil || !created || next.ID == first.ID || len(next.Items) != 1 || next.Items[0].IdentityID != late.ID {
			t.Fatalf("next = %+v, %v, %v", next, created, err)
		}
	})

	t.Run("BadInputWritesNothing", func(t *testing.T) {
		db := open(t)
		i := mustCreate(t, db, ownedBy("x", "dave"))
		for name, o := range map[string]*warden.Offboarding{
			"no person":       newOffboarding("  ", departed),
			"control char":    newOffboarding("dave\x00", departed),
			"deadline before": {Person: "dave", DepartedAt: departed, Deadline: departed.Add(-time.Hour)},
			"no departure":    {Person: "dave", Deadline: departed},
		} {
			if _, _, err := db.CreateOffboarding(ctx, o); warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("%s: err = %v, want EINVALID", name, err)
			}
		}
		if got, _ := db.FindIdentityByID(context.Background(), i.ID); got.Owner != "dave" {
			t.Fatalf("identity changed: %+v", got)
		}
	})

	t.Run("ListDueAndUpdate", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		var ids []string
		for n, p := range []string{"erin", "frank", "grace"} {
			o := newOffboarding(p, departed.Add(time.Duration(n)*24*time.Hour))
			got, _, err := db.CreateOffboarding(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
			c.advance(time.Minute)
		}
		page, next, err := db.FindOffboardings(context.Background(), warden.OffboardingFilter{Limit: 2})
		if err != nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] || next == "" {
			t.Fatalf("page 1 = %d, %q, %v", len(page), next, err)
		}
		page, next, err = db.FindOffboardings(context.Background(), warden.OffboardingFilter{Limit: 2, Cursor: next})
		if err != nil || len(page) != 1 || page[0].ID != ids[0] || next != "" {
			t.Fatalf("page 2 = %d, %q, %v", len(page), next, err)
		}
		if got, _, _ := db.FindOffboardings(context.Background(), warden.OffboardingFilter{Person: "Frank"}); len(got) != 1 || got[0].ID != ids[1] {
			t.Fatalf("by person = %+v", got)
		}
		if _, _, err := db.FindOffboardings(context.Background(), warden.OffboardingFilter{Status: "pending"}); warden.ErrorCode(err) != warden.EINVALID {
			t.Fatalf("bad status = %v", err)
		}
		// erin's deadline is 14 days after departure, frank's a day later.
		due, err := db.FindDueOffboardings(context.Background(), departed.Add(15*24*time.Hour), 0)
		if err != nil || len(due) != 2 || due[0].ID != ids[0] || due[1].ID != ids[1] {
			t.Fatalf("due = %d, %v", len(due), err)
		}
		boom := errors.New("boom")
		if _, err := db.UpdateOffboarding(ctx, ids[0], "offboarding.sweep", func(o *warden.Offboarding) error {
			o.Status = warden.OffboardingClosed
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("aborted update = %v", err)
		}
		closed, err := db.UpdateOffboarding(ctx, ids[0], "offboarding.sweep", func(o *warden.Offboarding) error {
			o.Status, o.Person = warden.OffboardingClosed, "mallory"
			return nil
		})
		if err != nil || closed.Status != warden.OffboardingClosed || closed.Person != "erin" {
			t.Fatalf("closed = %+v, %v", closed, err)
		}
		if due, _ := db.FindDueOffboardings(context.Background(), departed.Add(15*24*time.Hour), 0); len(due) != 1 || due[0].ID != ids[1] {
			t.Fatalf("due after close = %d", len(due))
		}
		if _, err := db.FindOffboarding(context.Background(), "no-such-offboarding"); warden.ErrorCode(err) != warden.ENOTFOUND {
			t.Fatalf("unknown id = %v", err)
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "offboarding", TargetID: ids[0]})
		if len(recs) != 2 || recs[1].Action != "offboarding.sweep" {
			t.Fatalf("audit = %+v", recs)
		}
	})
}
