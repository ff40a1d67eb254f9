package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
)

// BenchmarkAuthorizeHTTP_Load is the loopback load run of POST
// /v1/authorize: 10,000 identities in a real SQLite inventory, 500
// policies with realistic scopes, 64 concurrent keep-alive clients, every
// request a different identity, action and resource. It reports decisions
// per second and p50/p99 latency, and as a same-run baseline the rate of
// GET /healthz (no auth, no body) on the same server and client.
//
//	go test ./httpapi -run '^$' -bench AuthorizeHTTP_Load -benchtime 60000x
func BenchmarkAuthorizeHTTP_Load(b *testing.B) {
	ctx := context.Background()
	f := newAuthorizeFixture(b)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	bodies, secret, engine := f.bodies, f.secret, f.engine
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	const workers = 64
	run := func(n int, req func(i int) *http.Request, wantStatus int) (float64, []time.Duration) {
		var next atomic.Int64
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					t0 := time.Now()
					resp, err := client.Do(req(i))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat[i] = time.Since(t0)
					if resp.StatusCode != wantStatus {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(n) / time.Since(start).Seconds(), lat
	}
	authorize := func(i int) *http.Request {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/authorize", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		return req
	}
	// Warm the identity cache and the connections.
	run(len(bodies)*3, authorize, http.StatusOK)
	healthz := func(int) *http.Request { req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil); return req }
	base, _ := run(max(b.N, 1000), healthz, http.StatusOK)
	b.ResetTimer()
	rate, lat := run(b.N, authorize, http.StatusOK)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(rate, "decisions/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(base, "healthz-req/s")
	allowed := 0
	for _, body := range bodies[:200] {
		d, err := engine.Decide(ctx, decodeBenchRequest(b, body), "inproc")
		if err != nil {
			b.Fatal(err)
		}
		if d.Allowed() {
			allowed++
		}
	}
	b.ReportMetric(float64(allowed)/2, "allowed-%")
}

// authorizeFixture is the inventory, policies and traffic of the
// /v1/authorize benchmarks.
type authorizeFixture struct {
	handler *Server
	engine  *policy.Engine
	secret  string   // an operator API token
	bodies  [][]byte // decision requests, ~87% allowed
}

// newAuthorizeFixture builds 10,000 identities in a real SQLite inventory,
// 500 policies with realistic scopes and 1,000 stored resources, an engine
// following the change feed and a server with cached API tokens.
func newAuthorizeFixture(b *testing.B) *authorizeFixture {
	b.Helper()
	ctx := context.Background()

	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	admin := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "bench"})
	const nIdentities, nPolicies = 10000, 500
	r := rand.New(rand.NewPCG(1, 2))
	teams := 50
	ids := make([]*warden.Identity, nIdentities)
	for i := range ids {
		ids[i] = &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes,
			ExternalID: fmt.Sprintf("system:serviceaccount:ns%d:svc%d", i%200, i), Name: fmt.Sprintf("svc%d", i),
			Owner: fmt.Sprintf("team-%d", r.IntN(teams)), Environment: []string{"prod", "staging"}[r.IntN(2)]}
	}
	if _, err := db.ImportIdentities(admin, ids); err != nil {
		b.Fatal(err)
	}
	type grant struct {
		team    string
		service int
	}
	var grants []grant
	var pol strings.Builder
	for i := 0; i < nPolicies; i++ {
		effect := "permit"
		if i%10 == 0 {
			effect = "forbid"
		}
		switch i % 3 {
		case 0:
			g := grant{fmt.Sprintf("team-%d", r.IntN(teams)), r.IntN(100)}
			if effect == "permit" {
				grants = append(grants, g)
			}
			fmt.Fprintf(&pol, "%s (principal in Team::%q, action == Action::\"read\", resource in Service::\"svc-%d\") when { principal.environment == \"prod\" };\n", effect, g.team, g.service)
		case 1:
			fmt.Fprintf(&pol, "%s (principal == Identity::\"%s\", action in [Action::\"read\", Action::\"write\"], resource) when { context has source_ip && context.source_ip like \"10.*\" };\n", effect, ids[r.IntN(nIdentities)].ExternalID)
		default:
			fmt.Fprintf(&pol, "%s (principal in Team::\"team-%d\", action == Action::\"write\", resource == Secret::\"sec-%d\");\n", effect, r.IntN(teams), r.IntN(1000))
		}
	}
	v := &warden.PolicyVersion{Schema: `entity Service; entity Secret in [Service];
action read, write appliesTo { principal: [Identity], resource: [Service, Secret], context: { source_ip?: String } };`,
		Policies: map[string]string{"bench.cedar": pol.String()}}
	if _, err := policy.Compile(v); err != nil {
		b.Fatal(err)
	}
	if err := db.CreatePolicyVersion(admin, v); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ActivatePolicyVersion(admin, v.Version); err != nil {
		b.Fatal(err)
	}
	var ents []*warden.PolicyEntity
	for i := 0; i < 1000; i++ {
		ents = append(ents, &warden.PolicyEntity{Type: "Secret", ID: fmt.Sprintf("sec-%d", i), Parents: []warden.EntityRef{{Type: "Service", ID: fmt.Sprintf("svc-%d", i%100)}}})
	}
	if err := db.PutPolicyEntities(admin, ents); err != nil {
		b.Fatal(err)
	}
	engineCtx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	engine := policy.New(policy.Config{Identities: db, Credentials: db, Policies: db, Entities: db, Log: db, Changes: db, SampleAllows: 0.01})
	if err := engine.Start(engineCtx); err != nil {
		b.Fatal(err)
	}
	tokens := NewCachedTokens(engineCtx, db, db, time.Second)
	handler := New(Config{Identities: db, Credentials: db, Tokens: tokens, Audit: db, Policy: PolicyConfig{Engine: engine}})
	_, secret, err := db.CreateToken(admin, "proxy", warden.RoleOperator)
	if err != nil {
		b.Fatal(err)
	}
	// Traffic is mostly legitimate: 9 in 10 requests are a prod identity
	// of a team reading a secret of a service its team may read (one of
	// the team-scoped permits), the rest random (mostly default denies).
	byTeam := map[string][]*warden.Identity{}
	for _, id := range ids {
		if id.Environment == "prod" {
			byTeam[id.Owner] = append(byTeam[id.Owner], id)
		}
	}
	bodies := make([][]byte, 4096)
	for i := range bodies {
		id := ids[r.IntN(nIdentities)]
		action := []string{"read", "write"}[r.IntN(2)]
		res := fmt.Sprintf(`{"type":"Secret","id":"sec-%d"}`, r.IntN(1000))
		if g := grants[r.IntN(len(grants))]; r.IntN(10) > 0 && len(byTeam[g.team]) > 0 {
			id, action = byTeam[g.team][r.IntN(len(byTeam[g.team]))], "read"
			res = fmt.Sprintf(`{"type":"Secret","id":"sec-%d"}`, g.service+100*r.IntN(10))
		}
		bodies[i] = []byte(fmt.Sprintf(`{"principal":{"type":"Identity","id":%q},"action":{"id":%q},"resource":%s,"context":{"source_ip":"10.1.%d.%d"}}`,
			id.ExternalID, action, res, r.IntN(256), r.IntN(256)))
	}
	// Warm the identity cache, as a running server's is.
	for _, body := range bodies {
		if _, err := engine.Decide(ctx, decodeBenchRequest(b, body), "warmup"); err != nil {
			b.Fatal(err)
		}
	}
	return &authorizeFixture{handler: handler, engine: engine, secret: secret, bodies: bodies}
}

func decodeBenchRequest(b *testing.B, body []byte) *policy.Request {
	var req policy.Request
	if err := json.Unmarshal(body, &req); err != nil {
		b.Fatal(err)
	}
	return &req
}
