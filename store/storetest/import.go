package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func importBatch(n int, lastUsed time.Time) []*warden.Identity {
	out := make([]*warden.Identity, n)
	for i := range out {
		used := lastUsed.Add(-time.Duration(i) * time.Hour)
		out[i] = &warden.Identity{
			Kind: warden.KindCloudUser, Provider: warden.ProviderAWS,
			ExternalID: fmt.Sprintf("arn:aws:iam::111122223333:user/bot-%04d", i),
			Name:       fmt.Sprintf("bot-%04d", i), Managed: true,
			Labels: map[string]string{"source": "gaad"}, LastUsedAt: &used,
		}
	}
	return out
}

func testImport(t *testing.T, open Opener) {
	ctx := actorCtx("importer")
	t.Run("CreatesThenIsIdempotent", func(t *testing.T) {
		db := open(t)
		used := time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)
		res, err := db.ImportIdentities(ctx, importBatch(1200, used))
		if err != nil {
			t.Fatal(err)
		}
		if res != (warden.ImportResult{Created: 1200}) {
			t.Fatalf("first import: %+v", res)
		}
		before, _ := db.VerifyAudit(context.Background())
		res, err = db.ImportIdentities(ctx, importBatch(1200, used))
		if err != nil {
			t.Fatal(err)
		}
		if res != (warden.ImportResult{Unchanged: 1200}) {
			t.Fatalf("re-import: %+v, want all unchanged", res)
		}
		after, _ := db.VerifyAudit(context.Background())
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-import wrote audit records: %d -> %d (ok=%v)", before.Records, after.Records, after.OK)
		}
		if before.Records != 1200 {
			t.Fatalf("first import wrote %d audit records, want 1200", before.Records)
		}
	})

	t.Run("MergeKeepsWhatWardenSet", func(t *testing.T) {
		db := open(t)
		used := time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)
		batch := importBatch(3, used)
		if _, err := db.ImportIdentities(ctx, batch); err != nil {
			t.Fatal(err)
		}
		id := batch[0].ID
		if _, err := db.UpdateIdentity(ctx, id, warden.IdentityUpdate{Owner: ptr("team-infra"), Status: ptr(warden.StatusQuarantined)}); err != nil {
			t.Fatal(err)
		}
		again := importBatch(3, used.Add(24*time.Hour))
		again[0].Labels["account"] = "prod"
		again[2].LastUsedAt = nil
		res, err := db.ImportIdentities(ctx, again)
		if err != nil {
			t.Fatal(err)
		}
		if res != (warden.ImportResult{Updated: 2, Unchanged: 1}) {
			t.Fatalf("merge import: %+v", res)
		}
		got, _ := db.FindIdentityByID(context.Background(), id)
		if got.Owner != "team-infra" || got.Status != warden.StatusQuarantined || got.Labels["account"] != "prod" || got.Labels["source"] != "gaad" {
			t.Fatalf("merged identity lost warden's fields: %+v", got)
		}
		if !got.LastUsedAt.Equal(used.Add(24 * time.Hour)) {
			t.Fatalf("last used = %v, want the later time", got.LastUsedAt)
		}
		page, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{Labels: map[string]string{"account": "prod"}})
		if len(page) != 1 {
			t.Fatalf("label index after merge: %d identities", len(page))
		}
	})

	t.Run("ErrInvalidWritesNothing", func(t *testing.T) {
		db := open(t)
		batch := importBatch(10, time.Now())
		batch[7].Kind = "robot"
		_, err := db.ImportIdentities(ctx, batch)
		wantCode(t, err, warden.EINVALID)
		dup := importBatch(2, time.Now())
		dup[1].ExternalID = dup[0].ExternalID
		_, err = db.ImportIdentities(ctx, dup)
		wantCode(t, err, warden.EINVALID)
		page, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{})
		if len(page) != 0 {
			t.Fatalf("failed import left %d identities", len(page))
		}
	})
}
