package aws

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

func importCtx() context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "importer"})
}

// forEachStore runs fn on SQLite and on PostgreSQL (skipped when it is
// unreachable, failed when CI=true).
func forEachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

// importAll imports the sample account: GAAD, credential report and the
// three CloudTrail files, returning the reports.
func importAll(t *testing.T, db *store.DB) []*warden.ImportReport {
	t.Helper()
	steps := []struct {
		im   warden.Importer
		file string
	}{
		{&IAMImporter{Store: db}, "northwind-gaad.json"},
		{&CredentialReportImporter{Store: db}, "credential-report.csv"},
		{&CloudTrailImporter{Store: db, BatchSize: 5}, "cloudtrail/northwind-2026-02-28.json"},
		{&CloudTrailImporter{Store: db}, "cloudtrail/northwind-2026-03-01.jsonl"},
		{&CloudTrailImporter{Store: db}, "cloudtrail/northwind-2026-03-02.json.gz"},
	}
	var out []*warden.ImportReport
	for _, s := range steps {
		rep, err := s.im.Import(importCtx(), bytes.NewReader(readSample(t, s.file)), s.file)
		if err != nil {
			t.Fatalf("import %s: %v", s.file, err)
		}
		out = append(out, rep)
	}
	return out
}

func TestImport_SampleAccount(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reports := importAll(t, db)
		for n, want := range []warden.ImportReport{
			{Records: 14, Identities: warden.ImportResult{Created: 14}, Grants: warden.ImportResult{Created: 14}},
			{Records: 5, Identities: warden.ImportResult{Created: 1, Updated: 4}, Credentials: warden.ImportResult{Created: 9}},
			// Access keys seen in use are recorded under their real ids and get their last use.
			// ci-admin's CreateAccessKey records report-bot's new key AKIAV3NWFREIGHTRB002 (the fourth).
			{Records: 14, Events: warden.ImportResult{Created: 14}, Identities: warden.ImportResult{Created: 3, Updated: 9, Unchanged: 7}, Credentials: warden.ImportResult{Created: 4, Updated: 3}},
			{Records: 3, Events: warden.ImportResult{Created: 3}, Identities: warden.ImportResult{Updated: 3, Unchanged: 3}, Credentials: warden.ImportResult{Updated: 2}},
			{Records: 2, Events: warden.ImportResult{Created: 2}, Identities: warden.ImportResult{Updated: 1, Unchanged: 1}},
		} {
			got := reports[n]
			if got.Records != want.Records || got.Identities != want.Identities || got.Grants != want.Grants || got.Credentials != want.Credentials || got.Events != want.Events {
				t.Errorf("report %d (%s) = %+v, want %+v", n, got.Ref, *got, want)
			}
		}
		if len(reports[0].Warnings) != 1 || !strings.Contains(reports[0].Warnings[0], "ReadOnlyAccess") {
			t.Errorf("GAAD warnings = %q", reports[0].Warnings)
		}

		// Not onboarded: seen only in CloudTrail.
		unmanaged := false
		page, _, err := db.FindIdentities(ctx, warden.IdentityFilter{Managed: &unmanaged, Sort: "name"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, i := range page {
			names = append(names, string(i.Provider)+":"+i.ExternalID)
		}
		want := "aws:arn:aws:iam::402118867530:role/ops/manual-fix github:repo:some-stranger/fork-of-anything:ref:refs/heads/main aws:arn:aws:iam::402118867530:user/shadow-sync"
		if got := strings.Join(names, " "); got != want {
			t.Fatalf("not-onboarded identities:\n got %s\nwant %s", got, want)
		}

		jenkins, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:user/jenkins-deployer", warden.ProviderAWS)
		if err != nil {
			t.Fatal(err)
		}
		if jenkins.Labels["console-password"] != "true" || jenkins.Labels["mfa"] != "false" || jenkins.Labels["aws-groups"] != "deployers" ||
			jenkins.LastUsedAt == nil || jenkins.LastUsedAt.Format("2006-01-02T15:04") != "2026-03-01T10:03" {
			t.Fatalf("jenkins-deployer = %+v", jenkins)
		}
		grants, err := db.FindGrants(ctx, jenkins.ID)
		if err != nil {
			t.Fatal(err)
		}
		passRole := false
		for _, g := range grants {
			if g.Actions[0] == "iam:PassRole" && g.Resources[0] == "*" && strings.HasPrefix(g.Via, "group:deployers:") {
				passRole = true
			}
		}
		if len(grants) != 4 || !passRole {
			t.Fatalf("jenkins-deployer grants: %d, iam:PassRole on * via group = %v", len(grants), passRole)
		}
		creds, _, _ := db.FindCredentials(ctx, warden.CredentialFilter{IdentityID: jenkins.ID})
		if len(creds) != 4 {
			t.Fatalf("jenkins-deployer has %d credentials, want password, two keys of the report and the key seen in CloudTrail", len(creds))
		}
		events, _, err := db.FindEvents(ctx, warden.EventFilter{IdentityID: jenkins.ID})
		if err != nil || len(events) != 3 || !events[1].Interactive && !events[0].Interactive {
			t.Fatalf("jenkins-deployer events: %d, %v", len(events), err)
		}
	})
}

func TestImport_ReimportIsNoOp(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		importAll(t, db)
		before, err := db.VerifyAudit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, rep := range importAll(t, db) {
			if rep.Identities.Created+rep.Identities.Updated+rep.Credentials.Created+rep.Credentials.Updated+
				rep.Grants.Created+rep.Grants.Updated+rep.Events.Created != 0 {
				t.Errorf("re-import of %s changed something: %+v", rep.Ref, *rep)
			}
		}
		after, _ := db.VerifyAudit(context.Background())
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-import wrote %d audit records", after.Records-before.Records)
		}
	})
}

func TestImport_MalformedWritesNothingOfItsBatch(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := importCtx()
	gaad := strings.Replace(string(readSample(t, "northwind-gaad.json")), `"Effect": "Deny"`, `"Effect": "Denied"`, 1)
	_, err := (&IAMImporter{Store: db}).Import(ctx, strings.NewReader(gaad), "bad-gaad.json")
	if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(err.Error(), "bad-gaad.json") || !strings.Contains(err.Error(), "RoleDetailList[4] (shipment-api)") {
		t.Fatalf("error = %v", err)
	}
	trail := strings.Replace(string(readSample(t, "cloudtrail/northwind-2026-02-28.json")), `"eventTime": "2026-02-28T09:59:41Z"`, `"eventTime": "sometime"`, 1)
	_, err = (&CloudTrailImporter{Store: db, BatchSize: 5}).Import(ctx, strings.NewReader(trail), "bad-trail.json")
	if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(err.Error(), "bad-trail.json: record 12") || !strings.Contains(err.Error(), "the 10 events before its batch were stored") {
		t.Fatalf("error = %v", err)
	}
	events, _, _ := db.FindEvents(context.Background(), warden.EventFilter{Limit: 100})
	if len(events) != 10 {
		t.Fatalf("%d events stored, want the 10 of the two complete batches before the bad record", len(events))
	}
	ids, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{})
	for _, i := range ids {
		if i.Managed {
			t.Fatalf("the failed GAAD import stored %s", i.ExternalID)
		}
	}
}

// TestImport_AccessKeysFromActivity: a long-term access key an IAM user
// signs calls with is recorded as that user's access_key credential under
// its real id, with its last use; temporary session keys are not; a
// re-import adds nothing; and a key already recorded is left alone.
func TestImport_AccessKeysFromActivity(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		importAll(t, db)
		for _, tc := range []struct {
			name, key, user string
			want            bool
			lastUsed        string
		}{
			{"ExportedUser", "AKIAV3NWFREIGHTJ4K1X", "arn:aws:iam::402118867530:user/jenkins-deployer", true, "2026-03-01T10:03"},
			{"NotOnboardedUser", "AKIAV3NWFREIGHTSH4D0", "arn:aws:iam::402118867530:user/shadow-sync", true, "2026-03-01T03:15"},
			{"SessionKeyOfRole", "ASIAV3NWFREIGHTGH001", "", false, ""},
			{"SessionKeyOfFederatedUser", "ASIAV3NWFREIGHTFD007", "", false, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				found, _, err := db.FindCredentials(ctx, warden.CredentialFilter{PublicID: tc.key})
				if err != nil {
					t.Fatal(err)
				}
				if !tc.want {
					if len(found) != 0 {
						t.Fatalf("session key recorded: %+v", found[0])
					}
					return
				}
				if len(found) != 1 || found[0].Type != warden.CredentialAccessKey || found[0].Status != warden.CredentialActive || found[0].LastUsedAt == nil {
					t.Fatalf("credentials = %+v", found)
				}
				owner, err := db.FindIdentityByID(ctx, found[0].IdentityID)
				if err != nil || owner.ExternalID != tc.user {
					t.Fatalf("owner = %+v, %v", owner, err)
				}
				if got := found[0].LastUsedAt.Format("2006-01-02T15:04"); got != tc.lastUsed {
					t.Fatalf("last used %s, want %s", got, tc.lastUsed)
				}
			})
		}
		// A key recorded on another identity stays where it is.
		rec := `{"eventID":"moved-1","eventTime":"2026-03-05T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets",` +
			`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::402118867530:user/impostor","accessKeyId":"AKIAV3NWFREIGHTJ4K1X"}}`
		rep, err := (&CloudTrailImporter{Store: db}).Import(importCtx(), strings.NewReader(rec), "moved.jsonl")
		if err != nil || rep.Credentials.Created != 0 {
			t.Fatalf("report %+v, %v", rep, err)
		}
		found, _, _ := db.FindCredentials(ctx, warden.CredentialFilter{PublicID: "AKIAV3NWFREIGHTJ4K1X"})
		owner, _ := db.FindIdentityByID(ctx, found[0].IdentityID)
		if len(found) != 1 || owner.Name != "jenkins-deployer" {
			t.Fatalf("the key moved to %s", owner.ExternalID)
		}
	})
}
