package x509

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store"
)

// TestImport_GovernanceReadsCertificateFacts imports the sample
// certificates and runs the governance rules on 2026-03-20: the SHA-1,
// RSA-1024 billing certificate (expiring 2026-04-01) and the expired SVID
// get the certificate findings; the gateway (May) and the CAs do not.
func TestImport_GovernanceReadsCertificateFacts(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, name := range samples {
			if _, err := (&Importer{Store: db}).Import(importCtx(), bytes.NewReader(readSample(t, name)), name); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := govern.NewEvaluator(govern.EvaluatorConfig{Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db,
			Now: func() time.Time { return time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ev.Evaluate(importCtx()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			rule string
			want []string // certificate names, sorted
		}{
			{"cert-sha1", []string{"billing-legacy.corp.northwind.example"}},
			{"cert-weak-key", []string{"billing-legacy.corp.northwind.example"}},
			{"cert-expiring", []string{"billing-legacy.corp.northwind.example", "spiffe://northwind.example/ns/prod/sa/shipment-api"}},
		} {
			t.Run(tc.rule, func(t *testing.T) {
				found, _, err := db.FindFindings(ctx, warden.FindingFilter{RuleID: tc.rule, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, f := range found {
					id, err := db.FindIdentityByID(ctx, f.IdentityID)
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, id.Name)
				}
				slices.Sort(names)
				if strings.Join(names, ",") != strings.Join(tc.want, ",") {
					t.Fatalf("%s findings on %q, want %q", tc.rule, names, tc.want)
				}
			})
		}
	})
}
