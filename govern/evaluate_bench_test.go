package govern_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// benchIdentities is the inventory size of the evaluation benchmark.
const benchIdentities = 2000

// seedBench fills db with benchIdentities AWS users, each with an access
// key, an allow grant and (every tenth) an admin grant.
func seedBench(b *testing.B, db *store.DB) {
	b.Helper()
	ctx := context.Background()
	rotated := evalTime.AddDate(0, 0, -200)
	for start := 0; start < benchIdentities; start += 500 {
		batch := warden.InventoryBatch{Source: "bench"}
		for n := start; n < start+500; n++ {
			arn := fmt.Sprintf("arn:aws:iam::402118867530:user/bench-%05d", n)
			owner := ""
			if n%3 == 0 {
				owner = "team-bench"
			}
			batch.Identities = append(batch.Identities, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: arn, Name: arn[34:], Owner: owner, Environment: "prod", Managed: true})
			ref := warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: arn}
			batch.Credentials = append(batch.Credentials, &warden.ImportedCredential{Identity: ref, Credential: warden.Credential{Type: warden.CredentialAccessKey, PublicID: fmt.Sprintf("AKIABENCH%011d", n), LastRotatedAt: &rotated}})
			actions := []string{"s3:GetObject"}
			if n%10 == 0 {
				actions = []string{"iam:*"}
			}
			batch.Grants = append(batch.Grants, warden.IdentityGrants{Identity: ref, Grants: []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow", Actions: actions, Resources: []string{"*"}, Via: "inline"}}})
		}
		if _, err := db.ImportInventory(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate measures a steady-state evaluation (findings already
// stored, so mostly refreshes) of benchIdentities identities on SQLite,
// beside a baseline in the same run that only reads what the rules need
// (identity pages, credentials, grants and events of each identity).
// Compare ns/identity of the two: the difference is rule evaluation plus
// the finding, risk and posture writes.
func BenchmarkEvaluate(b *testing.B) {
	db := storetest.OpenSQLite(b)
	seedBench(b, db)
	ctx := context.Background()
	ev, err := govern.NewEvaluator(govern.EvaluatorConfig{
		Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db,
		Now: func() time.Time { return evalTime },
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ev.Evaluate(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-read-snapshots", func(b *testing.B) {
		n := 0
		for b.Loop() {
			f := warden.IdentityFilter{Limit: 200}
			for {
				page, next, err := db.FindIdentities(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				for _, i := range page {
					if _, _, err := db.FindCredentials(ctx, warden.CredentialFilter{IdentityID: i.ID, Limit: warden.MaxPageSize}); err != nil {
						b.Fatal(err)
					}
					if _, err := db.FindGrants(ctx, i.ID); err != nil {
						b.Fatal(err)
					}
					since := evalTime.AddDate(0, 0, -30)
					if _, _, err := db.FindEvents(ctx, warden.EventFilter{IdentityID: i.ID, Since: &since, Limit: warden.MaxPageSize}); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if next == "" {
					break
				}
				f.Cursor = next
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/identity")
	})
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			res, err := ev.Evaluate(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if res.Findings.Opened != 0 || res.Identities != benchIdentities {
				b.Fatalf("steady state expected: %+v", res)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchIdentities), "ns/identity")
	})
}
