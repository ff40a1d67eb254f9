package policy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

// BenchmarkDecisionLog_Write measures what logging one decision costs on
// SQLite — its decision row and its activity event, written in batches
// as the engine's writer does — per batch size (the writer flushes every
// 100 ms or at 500 records, so the batch size is the logged-decision rate
// divided by 10). It reports process CPU per record beside ns/op, with
// the JSON encoding of the records alone as the same-run baseline.
//
//	go test ./policy -run '^$' -bench DecisionLog_Write -benchtime 20000x
func BenchmarkDecisionLog_Write(b *testing.B) {
	db := storetest.OpenSQLite(b)
	ids := make([]*warden.Identity, 2000)
	for i := range ids {
		ids[i] = &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes,
			ExternalID: fmt.Sprintf("system:serviceaccount:ns%d:svc%d", i%50, i), Name: fmt.Sprintf("svc%d", i), Owner: "team-a", Environment: "prod"}
	}
	if _, err := db.ImportIdentities(adminCtx, ids); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	// One cache entry per identity, as the engine holds them: a principal's
	// entity is encoded once per entry, not once per logged decision.
	entries := make([]*identityEntry, len(ids))
	for i, id := range ids {
		entries[i] = &identityEntry{id: id.ID, entity: IdentityEntity(IdentityFacts{Identity: id}, now)}
	}
	record := func(run string, i int) *pendingDecision {
		id := ids[(i*7919)%len(ids)]
		entry := entries[(i*7919)%len(ids)]
		ent := entry.entity
		req := cedar.Request{Principal: ent.UID, Action: types.NewEntityUID(TypeAction, "read"),
			Resource: types.NewEntityUID("Secret", types.String(fmt.Sprintf("sec-%d", i%1000))),
			Context:  types.NewRecord(types.RecordMap{"source_ip": types.String("10.1.2.3")})}
		return &pendingDecision{
			record: &warden.DecisionRecord{ID: fmt.Sprintf("d-%s-%d-%d", run, b.N, i), Time: now.UTC(), Source: "http", Principal: refOf(ent.UID), IdentityID: id.ID,
				Action: refOf(req.Action), Resource: refOf(req.Resource), Decision: "deny", Policies: []string{"policy3"}, Errors: []string{}, PolicyVersion: 1, LatencyMicros: 40},
			request: req, principal: entry,
		}
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, batch := range []int{50, 200, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			w := newDecisionWriter(db, db, discardLogger())
			ctx := context.Background()
			recs := make([]*pendingDecision, b.N)
			for i := range recs {
				recs[i] = record(fmt.Sprint(batch), i)
			}
			pending := make([]*pendingDecision, 0, batch)
			c0 := cpu()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pending = append(pending, recs[i])
				if len(pending) == batch || i == b.N-1 {
					w.write(ctx, pending)
					pending = pending[:0]
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpu()-c0).Microseconds())/float64(b.N), "cpu-us/record")
		})
	}
	b.Run("encode-only", func(b *testing.B) {
		w := newDecisionWriter(nil, nil, discardLogger())
		recs := make([]*pendingDecision, b.N)
		for i := range recs {
			recs[i] = record("encode", i)
		}
		c0 := cpu()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w.write(context.Background(), recs[i:i+1])
		}
		b.ReportMetric(float64((cpu()-c0).Microseconds())/float64(b.N), "cpu-us/record")
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
