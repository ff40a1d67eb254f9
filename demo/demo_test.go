package demo_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var now = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// openDemo opens a SQLite store holding the demo inventory as of now,
// closed when the test ends.
func openDemo(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.OpenSQLite(t)
	if _, err := demo.Load(context.Background(), db, db, now); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestIdentities_CoverEveryKindAndTheMainProviders(t *testing.T) {
	items := demo.Identities(now)
	if n := len(items); n < 180 || n > 230 {
		t.Errorf("got %d identities, want about 200", n)
	}
	kinds := map[warden.IdentityKind]int{}
	providers := map[warden.Provider]int{}
	for _, it := range items {
		kinds[it.Identity.Kind]++
		providers[it.Identity.Provider]++
	}
	for _, k := range warden.IdentityKinds {
		if kinds[k] < 3 {
			t.Errorf("kind %s: %d identities, want at least 3", k, kinds[k])
		}
	}
	for _, p := range []warden.Provider{"aws", "gcp", "azure", "kubernetes", "github", "gitlab", "warden", "stripe", "datadog", "slack", "x509"} {
		if providers[p] == 0 {
			t.Errorf("no identity from provider %s", p)
		}
	}
	t.Logf("kinds %v", kinds)
	t.Logf("providers %v", providers)
}

func TestIdentities_EveryItemIsValid(t *testing.T) {
	for _, it := range demo.Identities(now) {
		id := it.Identity
		if err := id.Validate(); err != nil {
			t.Errorf("%s: %v", id.ExternalID, err)
		}
		if id.ID != "" {
			t.Errorf("%s: has an id before loading", id.ExternalID)
		}
		for _, c := range it.Credentials {
			if err := c.Validate(); err != nil {
				t.Errorf("%s %s credential: %v", id.ExternalID, c.Type, err)
			}
		}
	}
}

func TestIdentities_Deterministic(t *testing.T) {
	a, b := demo.Identities(now), demo.Identities(now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls with the same now differ")
	}
	// Times move with now; everything else stays.
	later := demo.Identities(now.Add(48 * time.Hour))
	if got, want := *later[0].Identity.FirstSeenAt, a[0].Identity.FirstSeenAt.Add(48*time.Hour); !got.Equal(want) {
		t.Errorf("first_seen_at = %v, want %v", got, want)
	}
	if later[7].Identity.ExternalID != a[7].Identity.ExternalID {
		t.Error("external ids depend on now")
	}
}

func TestIdentities_UniqueKeysAndFingerprints(t *testing.T) {
	ext := map[string]bool{}
	fps := map[string]string{}
	pubs := map[string]bool{}
	for _, it := range demo.Identities(now) {
		key := string(it.Identity.Provider) + "|" + it.Identity.ExternalID
		if ext[key] {
			t.Errorf("duplicate (provider, external_id) %s", key)
		}
		ext[key] = true
		for _, c := range it.Credentials {
			if c.Fingerprint != "" {
				if other, dup := fps[c.Fingerprint]; dup {
					t.Errorf("fingerprint of %s repeats %s", it.Identity.ExternalID, other)
				}
				fps[c.Fingerprint] = it.Identity.ExternalID
			}
			pk := string(c.Type) + "|" + c.PublicID
			if c.PublicID != "" && pubs[pk] {
				t.Errorf("duplicate credential (type, public_id) %s", pk)
			}
			pubs[pk] = true
		}
	}
}

func TestIdentities_HaveTheMessOfARealInventory(t *testing.T) {
	items := demo.Identities(now)
	var unowned, unmanaged, idle, never, overdue, oldKeys, expiringCerts int
	statuses := map[warden.Status]int{}
	envs := map[string]int{}
	for _, it := range items {
		id := it.Identity
		statuses[id.Status]++
		envs[id.Environment]++
		if id.Owner == "" {
			unowned++
		}
		if !id.Managed {
			unmanaged++
		}
		switch {
		case id.LastUsedAt == nil:
			never++
		case now.Sub(*id.LastUsedAt) >= 100*24*time.Hour:
			idle++
		}
		if id.NextReviewAt != nil && id.NextReviewAt.Before(now) {
			overdue++
		}
		for _, c := range it.Credentials {
			if c.Type == warden.CredentialAccessKey && c.LastRotatedAt != nil && now.Sub(*c.LastRotatedAt) > 400*24*time.Hour {
				oldKeys++
			}
			if c.Type == warden.CredentialCertificate && c.ExpiresAt != nil && c.ExpiresAt.After(now) && c.ExpiresAt.Before(now.Add(30*24*time.Hour)) {
				expiringCerts++
			}
		}
	}
	n := len(items)
	check := func(what string, got, lo, hi int) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: %d of %d, want %d..%d", what, got, n, lo, hi)
		}
	}
	check("unowned (~15%)", unowned, n*10/100, n*20/100)
	check("idle 100+ days (~10%)", idle, n*6/100, n*15/100)
	check("never used", never, 2, n*8/100)
	check("unmanaged", unmanaged, 5, n*12/100)
	check("overdue reviews", overdue, 10, n/2)
	check("access keys older than 400 days", oldKeys, 3, 20)
	check("certificates expiring within 30 days", expiringCerts, 2, 8)
	check("quarantined", statuses[warden.StatusQuarantined], 1, 5)
	check("disabled", statuses[warden.StatusDisabled], 1, 5)
	for _, env := range []string{"prod", "staging", "dev"} {
		if envs[env] == 0 {
			t.Errorf("no identity in environment %s", env)
		}
	}
}

func TestIdentities_NoRealLookingSecrets(t *testing.T) {
	for _, it := range demo.Identities(now) {
		for _, c := range it.Credentials {
			for _, prefix := range []string{"sk_live_", "rk_live_", "xoxb-", "ghp_", "glpat-"} {
				if strings.Contains(c.PublicID, prefix) || strings.Contains(it.Identity.ExternalID, prefix) {
					t.Errorf("%s looks like a live secret", c.PublicID)
				}
			}
			if c.Type == warden.CredentialAccessKey && !strings.HasSuffix(c.PublicID, "EXAMPLE") {
				t.Errorf("access key id %s lacks the EXAMPLE suffix", c.PublicID)
			}
		}
	}
}

func TestLoad_IntoRealStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	n, err := demo.Load(ctx, db, db, now)
	if err != nil {
		t.Fatal(err)
	}
	items := demo.Identities(now)
	if n != len(items) {
		t.Errorf("loaded %d identities, want %d", n, len(items))
	}

	var wantCreds int
	for _, it := range items {
		wantCreds += len(it.Credentials)
	}
	var gotCreds int
	f := warden.CredentialFilter{Limit: warden.MaxPageSize}
	for {
		page, next, err := db.FindCredentials(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		gotCreds += len(page)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if gotCreds != wantCreds {
		t.Errorf("store has %d credentials, want %d", gotCreds, wantCreds)
	}

	arn := "arn:aws:iam::402118867530:user/jenkins-deployer"
	got, err := db.FindIdentityByRef(ctx, arn, warden.ProviderAWS)
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != "" || got.LastUsedAt == nil || now.Sub(*got.LastUsedAt) < 200*24*time.Hour {
		t.Errorf("jenkins-deployer = %+v, want unowned and idle", got)
	}

	recs, _, err := db.FindAuditRecords(ctx, warden.AuditFilter{Action: "identity.create", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Actor != "system:demo" {
		t.Errorf("audit records = %+v, want one by system:demo", recs)
	}

	// Loading again creates nothing and fails on nothing.
	again, err := demo.Load(ctx, db, db, now)
	if err != nil || again != 0 {
		t.Errorf("second Load = %d, %v; want 0, nil", again, err)
	}
}
