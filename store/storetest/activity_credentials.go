package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// testActivityCredentials checks warden.ActivityBatch.Credentials: a
// credential seen in use is created once (audited) for its principal and
// gets its last use; one already recorded, on this identity or another,
// by public id or by fingerprint, is left where it is; a deprovisioned or
// unknown identity gets none; a bad one fails the whole batch.
func testActivityCredentials(t *testing.T, open Opener) {
	ctx := actorCtx("importer")
	db := open(t)
	role := mustCreate(t, db, sampleRole("deployer"))
	owner := mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/owner", Name: "owner", Managed: true})
	if err := db.CreateCredential(ctx, &warden.Credential{IdentityID: owner.ID, Type: warden.CredentialToken, PublicID: "tok-owned", Fingerprint: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	gone := mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/gone", Name: "gone", Managed: true})
	if _, err := db.DeprovisionIdentity(ctx, gone.ID, "left"); err != nil {
		t.Fatal(err)
	}
	ghostRef := warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/ghost"}
	seen := func(ref warden.IdentityRef, typ warden.CredentialType, pid, fp string) *warden.ImportedCredential {
		return &warden.ImportedCredential{Identity: ref, Credential: warden.Credential{Type: typ, PublicID: pid, Fingerprint: fp, Status: warden.CredentialActive}}
	}
	batch := activity(6, 0, role)
	batch.Credentials = []*warden.ImportedCredential{
		seen(ghostRef, warden.CredentialAccessKey, "AKIAGHOST00000000001", ""),                                                                      // new, on a principal created by the batch
		seen(ghostRef, warden.CredentialToken, "tok-owned", ""),                                                                                     // public id owned by another identity
		seen(ghostRef, warden.CredentialToken, "tok-new", strings.Repeat("ab", 32)),                                                                 // fingerprint owned by another identity
		seen(warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: gone.ExternalID}, warden.CredentialAccessKey, "AKIAGONE000000000001", ""), // deprovisioned
		seen(warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/nobody"}, warden.CredentialAccessKey, "AKIANOBODY0000000001", ""),
	}
	res, err := db.RecordActivity(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Credentials.Created != 1 || res.Credentials.Updated != 1 {
		t.Fatalf("credentials = %+v, want the ghost's key created and then used", res.Credentials)
	}
	ghost, err := db.FindIdentityByRef(context.Background(), ghostRef.ExternalID, warden.ProviderAWS)
	if err != nil {
		t.Fatal(err)
	}
	creds, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{IdentityID: ghost.ID})
	if len(creds) != 1 || creds[0].PublicID != "AKIAGHOST00000000001" || creds[0].LastUsedAt == nil || !creds[0].LastUsedAt.Equal(eventBase.Add(5*time.Minute)) {
		t.Fatalf("ghost credentials = %+v", creds)
	}
	owned, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{PublicID: "tok-owned"})
	if len(owned) != 1 || owned[0].IdentityID != owner.ID {
		t.Fatalf("tok-owned = %+v", owned)
	}
	for _, pid := range []string{"tok-new", "AKIAGONE000000000001", "AKIANOBODY0000000001"} {
		if found, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{PublicID: pid}); len(found) != 0 {
			t.Fatalf("%s was recorded: %+v", pid, found[0])
		}
	}
	audit, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "credential.create", TargetID: creds[0].ID})
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit of the new credential: %d records, %v", len(audit), err)
	}

	// Again: nothing changes.
	res, err = db.RecordActivity(ctx, activity(6, 0, role))
	if err != nil || res.Credentials.Created != 0 || res.Events.Created != 0 {
		t.Fatalf("re-record = %+v, %v", res, err)
	}
	// A credential without a public id fails the batch: nothing is written.
	bad := activity(2, 100, role)
	bad.Credentials = []*warden.ImportedCredential{seen(ghostRef, warden.CredentialAccessKey, "", "")}
	_, err = db.RecordActivity(ctx, bad)
	wantCode(t, err, warden.EINVALID)
	if page, _, _ := db.FindEvents(context.Background(), warden.EventFilter{Since: ptrTime(eventBase.Add(100 * time.Minute))}); len(page) != 0 {
		t.Fatalf("the failed batch stored %d events", len(page))
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
