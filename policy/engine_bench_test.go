package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// benchWorld stores a generated world in a real SQLite store: identities
// in the inventory (with the ids the store gave them), documents, folders
// and actions as policy entities, and a policy version with n policies.
// It returns the world with its entity map rebuilt on the stored ids, the
// store and the compiled set.
func benchWorld(b testing.TB, identities, policies int) (*world, *store.DB) {
	b.Helper()
	r := rand.New(rand.NewPCG(7, uint64(policies)))
	w := newWorld(r, identities)
	db := storetest.OpenSQLite(b)
	ids := make([]*warden.Identity, len(w.identities))
	for n, i := range w.identities {
		c := *i
		c.ID = ""
		ids[n] = &c
	}
	if _, err := db.ImportIdentities(adminCtx, ids); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for n, i := range w.identities {
		stored, err := db.FindIdentityByRef(context.Background(), i.ExternalID, "")
		if err != nil {
			b.Fatal(err)
		}
		delete(w.entities, IdentityUID(i.ID))
		w.identities[n] = stored
		ent := IdentityEntity(IdentityFacts{Identity: stored}, now)
		w.entities[ent.UID] = ent
	}
	var stored []*warden.PolicyEntity
	for uid, e := range w.entities {
		if uid.Type == TypeIdentity {
			continue
		}
		pe := &warden.PolicyEntity{Type: string(uid.Type), ID: string(uid.ID)}
		for p := range e.Parents.All() {
			pe.Parents = append(pe.Parents, warden.EntityRef{Type: string(p.Type), ID: string(p.ID)})
		}
		attrs, _ := json.Marshal(e.Attributes)
		pe.Attrs = attrs
		stored = append(stored, pe)
	}
	if err := db.PutPolicyEntities(adminCtx, stored); err != nil {
		b.Fatal(err)
	}
	v := &warden.PolicyVersion{Schema: w.schema, Policies: w.policies(r, policies)}
	if err := db.CreatePolicyVersion(adminCtx, v); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ActivatePolicyVersion(adminCtx, v.Version); err != nil {
		b.Fatal(err)
	}
	return w, db
}

// BenchmarkDecide_VsBareAuthorize measures an in-process decision with
// enrichment (principal resolved by external id from the identity cache,
// JSON context parsed, scope index, guardrails) beside a bare
// cedar.Authorize over every policy with a prebuilt entity map, on the same
// requests in the same run. It reports both latencies and their ratio
// (budget: <= 0.2 at 500 policies, <= 1.2 at 50).
//
//	go test ./policy -run '^$' -bench Decide_VsBare -benchtime 2000x
func BenchmarkDecide_VsBareAuthorize(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			w, db := benchWorld(b, 3000, n)
			e := startEngine(b, db, Config{})
			settle(e)
			set := e.ActiveSet()
			if set.Len() != n+len(Guardrails()) {
				b.Fatalf("engine runs %d policies", set.Len())
			}
			bare := set.PolicySet()
			r := rand.New(rand.NewPCG(11, 12))
			const distinct = 4096
			creqs := make([]cedar.Request, distinct)
			reqs := make([]*Request, distinct)
			for i := range creqs {
				creqs[i] = w.request(r)
				ctx, _ := json.Marshal(creqs[i].Context)
				var ext string
				for _, id := range w.identities {
					if IdentityUID(id.ID) == creqs[i].Principal {
						ext = id.ExternalID
					}
				}
				reqs[i] = &Request{
					Principal: &warden.EntityRef{Type: "Identity", ID: ext},
					Action:    refOf(creqs[i].Action), Resource: refOf(creqs[i].Resource), Context: ctx,
				}
				// Warm the identity cache, and check the decisions agree.
				d := mustDecide(b, e, reqs[i])
				want, _ := cedar.Authorize(bare, w.entities, creqs[i])
				if (d.Decision == "allow") != (want == cedar.Allow) {
					b.Fatalf("request %d: warden %s, bare %v", i, d.Decision, want)
				}
			}
			var wardenNS, bareNS time.Duration
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % distinct
				t0 := time.Now()
				if _, err := e.Decide(ctx, reqs[k], "inproc"); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				cedar.Authorize(bare, types.EntityGetter(w.entities), creqs[k])
				t2 := time.Now()
				wardenNS += t1.Sub(t0)
				bareNS += t2.Sub(t1)
			}
			b.ReportMetric(float64(wardenNS.Nanoseconds())/float64(b.N)/1000, "warden-µs/op")
			b.ReportMetric(float64(bareNS.Nanoseconds())/float64(b.N)/1000, "bare-µs/op")
			b.ReportMetric(float64(wardenNS)/float64(bareNS), "ratio")
		})
	}
}

// BenchmarkDecide_WardenOnly runs only warden's in-process decision (500
// policies, 3000 identities), for profiling it without the bare baseline.
func BenchmarkDecide_WardenOnly(b *testing.B) {
	w, db := benchWorld(b, 3000, 500)
	e := startEngine(b, db, Config{})
	settle(e)
	r := rand.New(rand.NewPCG(11, 12))
	reqs := make([]*Request, 1024)
	for i := range reqs {
		c := w.request(r)
		ctx, _ := json.Marshal(c.Context)
		reqs[i] = &Request{Principal: &warden.EntityRef{Type: "Identity", ID: string(c.Principal.ID)}, Action: refOf(c.Action), Resource: refOf(c.Resource), Context: ctx}
		mustDecide(b, e, reqs[i])
	}
	for _, req := range reqs {
		mustDecide(b, e, req)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Decide(context.Background(), reqs[i%len(reqs)], "inproc"); err != nil {
			b.Fatal(err)
		}
	}
}

// settle waits until the change notifications of a benchmark's setup have
// reached the engine, so that they do not invalidate the warmed cache.
func settle(e *Engine) {
	time.Sleep(300 * time.Millisecond)
}
