package owners_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/owners"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

const (
	sample       = "testdata/cloudtrail-northwind-2026-03-03.json"
	ledgerExport = "arn:aws:iam::402118867530:user/svc/ledger-export"
	etlRunner    = "arn:aws:iam::402118867530:role/etl-runner"
)

func forEachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

func actorCtx(name string) context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-" + name, Name: name, Role: warden.RoleAdmin})
}

// importSample imports the project-written CloudTrail sample through the
// real importer, in batches of three so that the user and its key are
// created in different batches.
func importSample(t *testing.T, db *store.DB) {
	t.Helper()
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	im := &aws.CloudTrailImporter{Store: db, Provenance: db, BatchSize: 3}
	rep, err := im.Import(actorCtx("importer"), bytes.NewReader(data), "cloudtrail-northwind-2026-03-03.json")
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if rep.Records != 7 || rep.Events.Created != 7 {
		t.Fatalf("import report = %+v", rep)
	}
}

func newService(t *testing.T, db *store.DB) *owners.Service {
	t.Helper()
	svc, err := owners.New(owners.Config{Store: db, Identities: db, Provenance: db, Events: db, Grants: db})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func pendingFor(t *testing.T, db *store.DB, identityID string) []*warden.OwnerSuggestion {
	t.Helper()
	list, _, err := db.FindOwnerSuggestions(context.Background(), warden.OwnerSuggestionFilter{IdentityID: identityID, Status: warden.OwnerSuggestionPending})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func byOwner(list []*warden.OwnerSuggestion) map[string]*warden.OwnerSuggestion {
	out := map[string]*warden.OwnerSuggestion{}
	for _, s := range list {
		out[s.Owner] = s
	}
	return out
}

// TestOwnersE2E_CloudTrailCreatorIsSuggestedWithTheEvents: alice, signed
// in through SSO, created the user ledger-export and its access key; the
// user is not onboarded and has no owner. Suggest names alice, with both
// events (by event id) as evidence and the combined confidence.
func TestOwnersE2E_CloudTrailCreatorIsSuggestedWithTheEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx("operator")
		importSample(t, db)
		user, err := db.FindIdentityByRef(ctx, ledgerExport, warden.ProviderAWS)
		if err != nil {
			t.Fatalf("the created user is not in the inventory: %v", err)
		}
		if user.Owner != "" || user.Managed || user.Kind != warden.KindCloudUser {
			t.Fatalf("ledger-export = %+v, want an unowned, not onboarded cloud user", user)
		}
		creds, _, err := db.FindCredentials(ctx, warden.CredentialFilter{IdentityID: user.ID})
		if err != nil || len(creds) != 1 || creds[0].PublicID != "AKIAV3NWLEDGEREXP001" {
			t.Fatalf("ledger-export credentials = %+v, %v", creds, err)
		}
		// CreateLoginProfile gives a person a password: no identity; a refused CreateUser created nothing.
		for _, arn := range []string{"arn:aws:iam::402118867530:user/dave.ops", "arn:aws:iam::402118867530:user/backdoor"} {
			if _, err := db.FindIdentityByRef(ctx, arn, warden.ProviderAWS); warden.ErrorCode(err) != warden.ENOTFOUND {
				t.Fatalf("%s: %v, want not found", arn, err)
			}
		}
		if recs, err := db.FindProvenance(ctx, warden.ProvenanceFilter{Creator: "mallory"}); err != nil || len(recs) != 0 {
			t.Fatalf("provenance of the refused CreateUser = %+v, %v", recs, err)
		}

		svc := newService(t, db)
		rep, err := svc.SuggestOwners(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Result.Created == 0 {
			t.Fatalf("suggest report = %+v", rep)
		}
		got := pendingFor(t, db, user.ID)
		if len(got) != 1 {
			t.Fatalf("ledger-export suggestions = %+v, want one", got)
		}
		s := got[0]
		if s.Owner != "alice@northwind.example" || s.Confidence != 85 || len(s.Evidence) != 2 {
			t.Fatalf("suggestion = %+v, want alice@northwind.example at 85 with two pieces of evidence", s)
		}
		creator, key := s.Evidence[0], s.Evidence[1]
		if creator.Kind != warden.OwnerEvidenceCreator || creator.EventID != "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01" || creator.EventSource != "cloudtrail" ||
			creator.Time == nil || creator.Time.Format("2006-01-02T15:04:05Z") != "2026-03-03T09:14:07Z" {
			t.Fatalf("creator evidence = %+v", creator)
		}
		if key.Kind != warden.OwnerEvidenceKeyCreator || key.EventID != "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e02" || !bytes.Contains([]byte(key.Detail), []byte("AKIAV3NWLEDGEREXP001")) {
			t.Fatalf("key evidence = %+v", key)
		}

		// The role bob created and carol used from the console: two owners, creator first.
		role, err := db.FindIdentityByRef(ctx, etlRunner, warden.ProviderAWS)
		if err != nil {
			t.Fatal(err)
		}
		roleSugs := byOwner(pendingFor(t, db, role.ID))
		bob, carol := roleSugs["bob@northwind.example"], roleSugs["carol@northwind.example"]
		if len(roleSugs) != 2 || bob == nil || carol == nil || bob.Confidence != owners.ConfidenceCreator || carol.Confidence != owners.ConfidenceInteractive ||
			carol.Evidence[0].Kind != warden.OwnerEvidenceInteractive || carol.Evidence[0].EventID != "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e07" {
			t.Fatalf("etl-runner suggestions = %+v", roleSugs)
		}

		// Running suggest again duplicates nothing.
		again, err := svc.SuggestOwners(ctx, "")
		if err != nil || again.Result.Created != 0 || again.Result.Updated != 0 {
			t.Fatalf("second suggest = %+v, %v", again, err)
		}
		if n := len(pendingFor(t, db, user.ID)); n != 1 {
			t.Fatalf("after a second run ledger-export has %d pending suggestions", n)
		}

		// Rejecting carol is remembered: suggest never brings her back.
		if _, err := svc.RejectOwnerSuggestion(actorCtx("dana"), carol.ID, "carol only ran the job once"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SuggestOwners(ctx, etlRunner); err != nil {
			t.Fatal(err)
		}
		if s := byOwner(pendingFor(t, db, role.ID)); len(s) != 1 || s["bob@northwind.example"] == nil {
			t.Fatalf("after rejecting carol, etl-runner suggestions = %+v", s)
		}

		// Accepting alice sets the owner through the identity service, audited.
		acc, err := svc.AcceptOwnerSuggestion(actorCtx("dana"), s.ID, "")
		if err != nil || acc.Status != warden.OwnerSuggestionAccepted || acc.DecidedBy != "token:tok-dana(dana)" {
			t.Fatalf("accept = %+v, %v", acc, err)
		}
		if user, _ = db.FindIdentityByID(ctx, user.ID); user.Owner != "alice@northwind.example" {
			t.Fatalf("owner after accept = %q", user.Owner)
		}
		recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "identity", TargetID: user.ID})
		if err != nil || len(recs) == 0 || recs[len(recs)-1].Actor != "token:tok-dana(dana)" {
			t.Fatalf("identity audit = %+v, %v", recs, err)
		}
		// Now owned, it is no longer looked at; accepting twice is a conflict.
		if _, err := svc.AcceptOwnerSuggestion(ctx, s.ID, ""); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("second accept = %v, want conflict", err)
		}
	})
}
