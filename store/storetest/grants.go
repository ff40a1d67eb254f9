package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func adminGrants() []*warden.Grant {
	return []*warden.Grant{
		{Kind: warden.GrantPermission, Effect: "Allow", Actions: []string{"*"}, Resources: []string{"*"},
			Via: "arn:aws:iam::aws:policy/AdministratorAccess", Scope: "111122223333"},
		{Kind: warden.GrantTrust, Effect: "allow", Actions: []string{"sts:AssumeRoleWithWebIdentity"},
			Principals: []string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
			Conditions: json.RawMessage(`{"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}`),
			Via:        "trust-policy", Scope: "111122223333"},
	}
}

// inventoryBatch is a small import: two roles, grants for both, an access
// key of the first.
func inventoryBatch() warden.InventoryBatch {
	a, b := sampleRole("deployer"), sampleRole("reader")
	ref := func(i *warden.Identity) warden.IdentityRef {
		return warden.IdentityRef{Provider: i.Provider, ExternalID: i.ExternalID}
	}
	rotated := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	return warden.InventoryBatch{
		Source:     "aws-iam",
		Identities: []*warden.Identity{a, b},
		Grants: []warden.IdentityGrants{
			{Identity: ref(a), Grants: adminGrants()},
			{Identity: ref(b), Grants: []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::bucket/*"}, Via: "inline:read"}}},
		},
		Credentials: []*warden.ImportedCredential{{Identity: ref(a), Credential: warden.Credential{
			Type: warden.CredentialAccessKey, PublicID: "AKIAINVENTORY0000001", LastRotatedAt: &rotated,
		}}},
	}
}

func testGrants(t *testing.T, open Opener) {
	ctx := actorCtx("importer")
	t.Run("ImportInventoryIsIdempotent", func(t *testing.T) {
		db := open(t)
		res, err := db.ImportInventory(ctx, inventoryBatch())
		if err != nil {
			t.Fatal(err)
		}
		want := warden.InventoryResult{Identities: warden.ImportResult{Created: 2}, Grants: warden.ImportResult{Created: 2}, Credentials: warden.ImportResult{Created: 1}}
		if res != want {
			t.Fatalf("first import = %+v, want %+v", res, want)
		}
		before, _ := db.VerifyAudit(context.Background())
		res, err = db.ImportInventory(ctx, inventoryBatch())
		if err != nil {
			t.Fatal(err)
		}
		want = warden.InventoryResult{Identities: warden.ImportResult{Unchanged: 2}, Grants: warden.ImportResult{Unchanged: 2}, Credentials: warden.ImportResult{Unchanged: 1}}
		if res != want {
			t.Fatalf("re-import = %+v, want %+v", res, want)
		}
		after, _ := db.VerifyAudit(context.Background())
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-import wrote audit records: %d -> %d", before.Records, after.Records)
		}
		id, err := db.FindIdentityByRef(context.Background(), "arn:aws:iam::111122223333:role/service/deployer", warden.ProviderAWS)
		if err != nil {
			t.Fatal(err)
		}
		grants, err := db.FindGrants(context.Background(), id.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(grants) != 2 || grants[0].Effect != "allow" || grants[0].Actions[0] != "*" || grants[1].Kind != warden.GrantTrust ||
			grants[1].Source != "aws-iam" || grants[1].IdentityID != id.ID || len(grants[0].Principals) != 0 || grants[0].Principals == nil {
			t.Fatalf("grants = %s", mustJSON(grants))
		}
		var cond map[string]map[string]string
		if err := json.Unmarshal(grants[1].Conditions, &cond); err != nil || cond["StringEquals"]["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
			t.Fatalf("conditions = %s (%v)", grants[1].Conditions, err)
		}
		if string(grants[0].Conditions) != "null" {
			t.Fatalf("absent conditions = %s, want null", grants[0].Conditions)
		}
		creds, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{IdentityID: id.ID})
		if len(creds) != 1 || creds[0].LastRotatedAt == nil || creds[0].Status != warden.CredentialActive {
			t.Fatalf("credentials = %s", mustJSON(creds))
		}
	})

	t.Run("ChangedGrantsAndCredentialsAreReplaced", func(t *testing.T) {
		db := open(t)
		if _, err := db.ImportInventory(ctx, inventoryBatch()); err != nil {
			t.Fatal(err)
		}
		batch := inventoryBatch()
		batch.Grants[0].Grants = batch.Grants[0].Grants[1:]
		batch.Grants[1].Grants = nil
		used := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		batch.Credentials[0].Credential.Status = warden.CredentialInactive
		batch.Credentials[0].Credential.LastUsedAt = &used
		res, err := db.ImportInventory(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if res.Grants != (warden.ImportResult{Updated: 2}) || res.Credentials != (warden.ImportResult{Updated: 1}) {
			t.Fatalf("result = %+v", res)
		}
		a, _ := db.FindIdentityByRef(context.Background(), "arn:aws:iam::111122223333:role/service/deployer", "")
		b, _ := db.FindIdentityByRef(context.Background(), "arn:aws:iam::111122223333:role/service/reader", "")
		ga, _ := db.FindGrants(context.Background(), a.ID)
		gb, _ := db.FindGrants(context.Background(), b.ID)
		if len(ga) != 1 || ga[0].Kind != warden.GrantTrust || len(gb) != 0 {
			t.Fatalf("grants after replace: %s / %s", mustJSON(ga), mustJSON(gb))
		}
		creds, _, _ := db.FindCredentials(context.Background(), warden.CredentialFilter{IdentityID: a.ID})
		if creds[0].Status != warden.CredentialInactive || !creds[0].LastUsedAt.Equal(used) {
			t.Fatalf("credential after import: %s", mustJSON(creds[0]))
		}
		recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "grant.replace", TargetID: b.ID})
		if len(recs) != 2 || string(recs[1].After) != "[]" {
			t.Fatalf("grant.replace audit of %s: %s", b.ID, mustJSON(recs))
		}
	})

	t.Run("ReplaceGrantsKeepsOtherSources", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("mixed"))
		if err := db.ReplaceGrants(ctx, role.ID, "aws-iam", adminGrants()); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceGrants(ctx, role.ID, "k8s", []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow", Actions: []string{"get"}, Resources: []string{"secrets"}, Scope: "payments"}}); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceGrants(ctx, role.ID, "aws-iam", adminGrants()[:1]); err != nil {
			t.Fatal(err)
		}
		grants, err := db.FindGrants(context.Background(), role.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(grants) != 2 || grants[0].Source != "aws-iam" || grants[1].Source != "k8s" || grants[1].Scope != "payments" {
			t.Fatalf("grants = %s", mustJSON(grants))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		db := open(t)
		role := mustCreate(t, db, sampleRole("bad"))
		for name, tc := range map[string]struct {
			grant *warden.Grant
			field string
		}{
			"Kind":       {&warden.Grant{Kind: "owner", Effect: "allow"}, "kind"},
			"Effect":     {&warden.Grant{Kind: warden.GrantPermission, Effect: "maybe"}, "effect"},
			"Conditions": {&warden.Grant{Kind: warden.GrantPermission, Effect: "allow", Conditions: json.RawMessage(`{"a":`)}, "conditions"},
		} {
			t.Run(name, func(t *testing.T) {
				err := db.ReplaceGrants(ctx, role.ID, "aws-iam", []*warden.Grant{tc.grant})
				wantCode(t, err, warden.EINVALID)
				if warden.ErrorField(err) != tc.field {
					t.Fatalf("field = %q, want %q (%v)", warden.ErrorField(err), tc.field, err)
				}
			})
		}
		wantCode(t, db.ReplaceGrants(ctx, "0193f2c1-0000-7000-8000-000000000000", "aws-iam", nil), warden.ENOTFOUND)
		_, err := db.FindGrants(context.Background(), "nope")
		wantCode(t, err, warden.ENOTFOUND)

		batch := inventoryBatch()
		batch.Credentials[0].Identity.ExternalID = "arn:aws:iam::111122223333:user/ghost"
		_, err = db.ImportInventory(ctx, batch)
		wantCode(t, err, warden.EINVALID)
		batch = inventoryBatch()
		batch.Grants[1].Grants[0].Effect = "perhaps"
		_, err = db.ImportInventory(ctx, batch)
		wantCode(t, err, warden.EINVALID)
		page, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{})
		if len(page) != 1 {
			t.Fatalf("failed imports left %d identities, want only the one created", len(page))
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
