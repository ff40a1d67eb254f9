package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var eventBase = time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)

// activity returns n CloudTrail-like events alternating between a known
// role and an unknown user, one minute apart, with raw ids from offset.
func activity(n, offset int, role *warden.Identity) warden.ActivityBatch {
	var batch warden.ActivityBatch
	ghost := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS,
		ExternalID: "arn:aws:iam::111122223333:user/ghost", Name: "ghost", Labels: map[string]string{"discovered-by": "cloudtrail"}}
	batch.Principals = []*warden.Identity{ghost}
	for i := range n {
		e := &warden.Event{
			Time: eventBase.Add(time.Duration(offset+i) * time.Minute), Source: "cloudtrail",
			RawID: fmt.Sprintf("evt-%06d", offset+i), SourceRef: "trail.json", Provider: warden.ProviderAWS,
			Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key", SourceIP: "203.0.113.9",
			UserAgent: "aws-sdk-go-v2", Region: "eu-west-1", Outcome: warden.OutcomeAllow,
		}
		if i%2 == 0 {
			e.Principal, e.Session = role.ExternalID, "deploy-1"
		} else {
			e.Principal, e.CredentialID = ghost.ExternalID, "AKIAGHOST00000000001"
			e.Outcome, e.ErrorCode = warden.OutcomeDeny, "AccessDenied"
		}
		batch.Events = append(batch.Events, e)
	}
	return batch
}

func testEvents(t *testing.T, open Opener) {
	ctx := actorCtx("importer")
	t.Run("CredentialsSeenInActivity", func(t *testing.T) { testActivityCredentials(t, open) })
	t.Run("RecordActivityOnboardsAndIsIdempotent", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("deployer"))
		ghostKey := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/keyholder", Name: "keyholder", Managed: true}
		mustCreate(t, db, ghostKey)
		if err := db.CreateCredential(ctx, &warden.Credential{IdentityID: ghostKey.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAGHOST00000000001"}); err != nil {
			t.Fatal(err)
		}
		res, err := db.RecordActivity(ctx, activity(10, 0, role))
		if err != nil {
			t.Fatal(err)
		}
		want := warden.ActivityResult{
			Events:      warden.ImportResult{Created: 10},
			Identities:  warden.ImportResult{Created: 1, Updated: 2},
			Credentials: warden.ImportResult{Updated: 1},
		}
		if res != want {
			t.Fatalf("first record = %+v, want %+v", res, want)
		}
		ghost, err := db.FindIdentityByRef(context.Background(), "arn:aws:iam::111122223333:user/ghost", warden.ProviderAWS)
		if err != nil {
			t.Fatal(err)
		}
		if ghost.Managed || ghost.LastUsedAt == nil || !ghost.LastUsedAt.Equal(eventBase.Add(9*time.Minute)) || !ghost.FirstSeenAt.Equal(eventBase.Add(time.Minute)) {
			t.Fatalf("not-onboarded identity = %s", mustJSON(ghost))
		}
		gotRole, _ := db.FindIdentityByID(context.Background(), role.ID)
		if !gotRole.LastUsedAt.Equal(eventBase.Add(8*time.Minute)) || !gotRole.UpdatedAt.Equal(role.UpdatedAt) {
			t.Fatalf("role last used %v (updated %v)", gotRole.LastUsedAt, gotRole.UpdatedAt)
		}
		creds, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{PublicID: "AKIAGHOST00000000001"})
		if len(creds) != 1 || creds[0].LastUsedAt == nil || !creds[0].LastUsedAt.Equal(eventBase.Add(9*time.Minute)) {
			t.Fatalf("credential last used: %s", mustJSON(creds))
		}

		before, _ := db.VerifyAudit(context.Background())
		res, err = db.RecordActivity(ctx, activity(10, 0, role))
		if err != nil {
			t.Fatal(err)
		}
		want = warden.ActivityResult{Events: warden.ImportResult{Unchanged: 10}, Identities: warden.ImportResult{Unchanged: 1}}
		if res != want {
			t.Fatalf("re-record = %+v, want %+v", res, want)
		}
		after, _ := db.VerifyAudit(context.Background())
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-record wrote audit records: %d -> %d", before.Records, after.Records)
		}

		// Overlapping batch: 5 old, 5 new events; last use moves on.
		res, err = db.RecordActivity(ctx, activity(10, 5, role))
		if err != nil {
			t.Fatal(err)
		}
		if res.Events != (warden.ImportResult{Created: 5, Unchanged: 5}) || res.Identities.Updated != 2 {
			t.Fatalf("overlapping record = %+v", res)
		}
	})

	t.Run("FindEventsFiltersAndPages", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("deployer"))
		if _, err := db.RecordActivity(ctx, activity(25, 0, role)); err != nil {
			t.Fatal(err)
		}
		var got []*warden.Event
		f := warden.EventFilter{IdentityID: role.ID, Limit: 4}
		for {
			page, next, err := db.FindEvents(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(got) != 13 {
			t.Fatalf("role has %d events, want 13", len(got))
		}
		for i, e := range got {
			if e.IdentityID != role.ID || e.Principal != role.ExternalID || (i > 0 && e.Time.Before(got[i-1].Time)) {
				t.Fatalf("event %d out of filter or order: %s", i, mustJSON(e))
			}
		}
		// Newest first: the same events in reverse, and a cursor of one
		// order is refused by the other.
		var newest []*warden.Event
		f = warden.EventFilter{IdentityID: role.ID, Limit: 4, Newest: true}
		for {
			page, next, err := db.FindEvents(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			newest = append(newest, page...)
			if next == "" {
				break
			}
			if _, _, err := db.FindEvents(context.Background(), warden.EventFilter{IdentityID: role.ID, Cursor: next}); warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("a newest-first cursor used oldest first: %v", err)
			}
			f.Cursor = next
		}
		if len(newest) != len(got) {
			t.Fatalf("newest first: %d events, want %d", len(newest), len(got))
		}
		for i := range newest {
			if newest[i].ID != got[len(got)-1-i].ID {
				t.Fatalf("newest-first event %d is %s, want %s", i, newest[i].ID, got[len(got)-1-i].ID)
			}
		}
		since, until := eventBase.Add(10*time.Minute), eventBase.Add(20*time.Minute)
		page, _, err := db.FindEvents(context.Background(), warden.EventFilter{Source: "cloudtrail", Since: &since, Until: &until})
		if err != nil || len(page) != 10 || !page[0].Time.Equal(since) {
			t.Fatalf("time window: %d events, %v", len(page), err)
		}
		if page[1].Outcome != warden.OutcomeDeny || page[1].ErrorCode != "AccessDenied" || page[1].CredentialID != "AKIAGHOST00000000001" || page[0].Session != "deploy-1" {
			t.Fatalf("event fields not stored: %s", mustJSON(page[:2]))
		}
		_, _, err = db.FindEvents(context.Background(), warden.EventFilter{Cursor: "garbage"})
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.FindEvents(context.Background(), warden.EventFilter{Limit: 100000})
		wantCode(t, err, warden.EINVALID)
	})

	t.Run("PruneEvents", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("deployer"))
		if _, err := db.RecordActivity(ctx, activity(30, 0, role)); err != nil {
			t.Fatal(err)
		}
		n, err := db.PruneEvents(ctx, eventBase.Add(20*time.Minute))
		if err != nil || n != 20 {
			t.Fatalf("pruned %d, %v; want 20", n, err)
		}
		page, _, _ := db.FindEvents(context.Background(), warden.EventFilter{})
		if len(page) != 10 || !page[0].Time.Equal(eventBase.Add(20*time.Minute)) {
			t.Fatalf("after prune: %d events", len(page))
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "events.prune"})
		if len(recs) != 1 {
			t.Fatalf("prune audit records: %d", len(recs))
		}
	})

	t.Run("ErrInvalidWritesNothing", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("deployer"))
		for name, mutate := range map[string]func(e *warden.Event){
			"NoRawID":    func(e *warden.Event) { e.RawID = "" },
			"NoTime":     func(e *warden.Event) { e.Time = time.Time{} },
			"BadOutcome": func(e *warden.Event) { e.Outcome = "maybe" },
			"LongAction": func(e *warden.Event) { e.Action = string(make([]byte, 5000)) },
		} {
			t.Run(name, func(t *testing.T) {
				batch := activity(6, 0, role)
				mutate(batch.Events[4])
				_, err := db.RecordActivity(ctx, batch)
				wantCode(t, err, warden.EINVALID)
			})
		}
		page, _, _ := db.FindEvents(context.Background(), warden.EventFilter{})
		ids, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{})
		if len(page) != 0 || len(ids) != 1 {
			t.Fatalf("failed batches left %d events and %d identities", len(page), len(ids))
		}
		n, err := db.RecordEvents(ctx, activity(4, 0, role).Events)
		if err != nil || n != 4 {
			t.Fatalf("RecordEvents = %d, %v", n, err)
		}
		ids, _, _ = db.FindIdentities(context.Background(), warden.IdentityFilter{})
		if len(ids) != 1 {
			t.Fatalf("RecordEvents created identities: %d", len(ids))
		}
	})
}
