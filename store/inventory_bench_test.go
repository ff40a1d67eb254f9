package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// BenchmarkInventory100k imports 100,000 identities in batches of 1,000
// (validation, upsert lookup, labels and one audit record each), then pages
// through them with typical filters. It reports the import time and rate,
// the p50/p99 latency of filtered pages, and as baselines from the same run
// the rate of bare multi-row INSERTs of the same rows into a scratch table
// and the latency of an unfiltered primary-key page.
//
//	go test ./store -run '^$' -bench Inventory100k -benchtime 1x
func BenchmarkInventory100k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchInventory(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchInventory(b, storetest.OpenPostgres(b)) })
}

const (
	benchIdentities = 100_000
	benchBatch      = 1_000
)

func benchIdentity(r *rand.Rand, n int, now time.Time) *warden.Identity {
	kinds := warden.IdentityKinds
	providers := []warden.Provider{"aws", "kubernetes", "github", "gcp", "azure", "generic"}
	envs := []string{"prod", "staging", "dev"}
	i := &warden.Identity{
		Kind:        kinds[n%len(kinds)],
		Provider:    providers[n%len(providers)],
		ExternalID:  fmt.Sprintf("bench:%s:%07d", providers[n%len(providers)], n),
		Name:        fmt.Sprintf("svc-%s-%05d", []string{"payments", "ledger", "search", "ingest", "auth"}[r.IntN(5)], n),
		Environment: envs[r.IntN(3)],
		Managed:     r.IntN(10) != 0,
		Labels:      map[string]string{"team": fmt.Sprintf("team-%02d", r.IntN(50)), "app": fmt.Sprintf("app-%03d", r.IntN(400))},
	}
	if r.IntN(5) != 0 {
		i.Owner = fmt.Sprintf("owner-%03d", r.IntN(200))
	}
	if r.IntN(4) != 0 {
		used := now.Add(-time.Duration(r.IntN(400*24)) * time.Hour)
		i.LastUsedAt = &used
	}
	return i
}

func benchInventory(b *testing.B, db *store.DB) {
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "system", ID: "bench"})
	for b.Loop() {
		now := time.Now()
		r := rand.New(rand.NewPCG(1, 2))
		all := make([]*warden.Identity, benchIdentities)
		for n := range all {
			all[n] = benchIdentity(r, n, now)
		}

		baseline := bareInsertRate(b, db, all)

		start, cpu0 := time.Now(), cpuTime()
		for off := 0; off < len(all); off += benchBatch {
			res, err := db.ImportIdentities(ctx, all[off:off+benchBatch])
			if err != nil {
				b.Fatal(err)
			}
			if res.Created != benchBatch {
				b.Fatalf("batch at %d: %+v", off, res)
			}
		}
		importDur, importCPU := time.Since(start), cpuTime()-cpu0
		b.ReportMetric(importCPU.Seconds(), "import-cpu-s")
		b.Logf("%s: import of %d identities took %v (bare insert baseline %.0f rows/s)", db.Dialect(), benchIdentities, importDur.Round(time.Millisecond), baseline)

		filters := []warden.IdentityFilter{
			{},
			{Kind: warden.KindCloudRole},
			{Provider: "aws", Environment: "prod"},
			{Owner: "owner-042"},
			{Unowned: true, Environment: "prod"},
			{Labels: map[string]string{"team": "team-07"}},
			{Query: "ledger-004"},
			{Sort: "-last_used_at"},
			{Sort: "name", Kind: warden.KindServiceAccount},
			{Managed: ptrBool(false), Sort: "-created_at"},
			{Unowned: true, Sort: "-last_used_at"}, // the console's triage view
			{Unowned: true, Sort: "-risk_score"},
		}
		var lat []time.Duration
		for round := 0; round < 3; round++ {
			for _, f := range filters {
				f.Limit = 50
				for page := 0; page < 10; page++ { // first ten pages: deep cursors too
					t0 := time.Now()
					items, next, err := db.FindIdentities(ctx, f)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if len(items) == 0 && page == 0 {
						b.Fatalf("filter %+v matched nothing", f)
					}
					if next == "" {
						break
					}
					f.Cursor = next
				}
			}
		}
		var base []time.Duration
		for n := 0; n < 100; n++ {
			t0 := time.Now()
			rows, err := db.SQL().QueryContext(ctx, db.Rebind("SELECT id, name FROM identities ORDER BY id LIMIT 50"))
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			base = append(base, time.Since(t0))
		}
		// The console's overview counts the whole inventory on every load.
		var counts []time.Duration
		for n := 0; n < 5; n++ {
			t0 := time.Now()
			c, err := db.CountInventory(ctx)
			counts = append(counts, time.Since(t0))
			if err != nil || c.Total != benchIdentities {
				b.Fatalf("count inventory: %+v, %v", c, err)
			}
		}
		b.ReportMetric(ms(percentile(counts, 50)), "count-p50-ms")
		b.ReportMetric(importDur.Seconds(), "import-s")
		b.ReportMetric(float64(benchIdentities)/importDur.Seconds(), "imported-ids/s")
		b.ReportMetric(baseline, "baseline-bare-insert-rows/s")
		b.ReportMetric(ms(percentile(lat, 50)), "page-p50-ms")
		b.ReportMetric(ms(percentile(lat, 99)), "page-p99-ms")
		b.ReportMetric(ms(percentile(base, 50)), "baseline-pk-page-p50-ms")
		b.Logf("%s: imported %d identities in %v; %d filtered pages p50 %.2f ms p99 %.2f ms; bare insert %.0f rows/s; pk page p50 %.2f ms",
			db.Dialect(), benchIdentities, importDur.Round(time.Millisecond), len(lat), ms(percentile(lat, 50)), ms(percentile(lat, 99)), baseline, ms(percentile(base, 50)))
	}
}

// bareInsertRate inserts the same rows' columns into a scratch table with
// plain multi-row INSERTs (no validation, lookup, labels or audit), the
// floor that ImportIdentities is compared with.
func bareInsertRate(b *testing.B, db *store.DB, all []*warden.Identity) float64 {
	ctx := context.Background()
	sqldb := db.SQL()
	if _, err := sqldb.ExecContext(ctx, "CREATE TABLE bench_bare (id TEXT, kind TEXT, provider TEXT, external_id TEXT, name TEXT, owner TEXT, environment TEXT, labels TEXT, last_used_at BIGINT)"); err != nil {
		b.Fatal(err)
	}
	defer sqldb.ExecContext(ctx, "DROP TABLE bench_bare")
	start := time.Now()
	for off := 0; off < len(all); off += benchBatch {
		tx, err := sqldb.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for sub := off; sub < off+benchBatch; sub += 200 {
			var sb strings.Builder
			sb.WriteString("INSERT INTO bench_bare VALUES ")
			args := make([]any, 0, 200*9)
			for n := sub; n < sub+200; n++ {
				if n > sub {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				i := all[n]
				var used any
				if i.LastUsedAt != nil {
					used = i.LastUsedAt.UnixMicro()
				}
				args = append(args, fmt.Sprint(n), string(i.Kind), string(i.Provider), i.ExternalID, i.Name, i.Owner, i.Environment, `{"team":"x"}`, used)
			}
			if _, err := tx.ExecContext(ctx, db.Rebind(sb.String()), args...); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(all)) / time.Since(start).Seconds()
}

func percentile(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ptrBool(v bool) *bool { return &v }

// cpuTime is the CPU time this process has used, user and system: on a
// busy machine it shows the work done when wall time is inflated by waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
