package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/internal/loadgen"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
)

// BenchmarkAuthorizeHTTP_Load is the loopback load run of POST
// /v1/authorize: 10,000 identities in a real SQLite inventory, 500
// policies with realistic scopes (internal/loadgen), 64 concurrent
// keep-alive clients of loadgen's minimal HTTP/1.1 client, every request a
// different identity, action and resource. It reports decisions per second
// and p50/p99 latency, and as a same-run baseline the rate of GET /healthz
// (no auth, no body) on the same server and client. The client shares the
// process (and the CPU) with the server; cmd/pdpload measures from a
// separate process.
//
//	go test ./httpapi -run '^$' -bench AuthorizeHTTP_Load -benchtime 60000x
func BenchmarkAuthorizeHTTP_Load(b *testing.B) {
	ctx := context.Background()
	f := newAuthorizeFixture(b)
	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	reqs := make([][]byte, len(f.bodies))
	for i, body := range f.bodies {
		reqs[i] = loadgen.RawRequest("POST", host, "/v1/authorize", body, "Content-Type: application/json", "Authorization: Bearer "+f.secret)
	}
	const workers = 64
	authorize := loadgen.RawDoer(host, workers, func(i int) []byte { return reqs[i%len(reqs)] })
	health := loadgen.RawRequest("GET", host, "/healthz", nil)
	healthz := loadgen.RawDoer(host, workers, func(int) []byte { return health })
	run := func(n int, do loadgen.Doer) loadgen.Result {
		res, err := loadgen.Run(ctx, n, workers, http.StatusOK, do)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	run(len(reqs)*3, authorize) // warm the connections and caches
	cpu0 := authorizeBenchCPU(b)
	base := run(max(b.N, 1000), healthz)
	cpu1 := authorizeBenchCPU(b)
	b.ResetTimer()
	res := run(b.N, authorize)
	b.StopTimer()
	cpu2 := authorizeBenchCPU(b)
	// CPU time of the whole process (server and client) per request: less
	// sensitive to other load on the machine than rates are.
	b.ReportMetric(float64((cpu2-cpu1).Microseconds())/float64(b.N), "cpu-us/decision")
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(max(b.N, 1000)), "cpu-us/healthz")
	b.ReportMetric(res.Rate, "decisions/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(base.Rate, "healthz-req/s")
	b.ReportMetric(res.Rate/base.Rate, "x-healthz")
	allowed := 0
	for _, body := range f.bodies[:200] {
		d, err := f.engine.Decide(ctx, decodeBenchRequest(b, body), "inproc")
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

// newAuthorizeFixture loads loadgen's fixture (10,000 identities, 500
// policies, 1,000 stored resources) into a real SQLite inventory and
// returns a warmed engine following the change feed, logging every deny
// and 1% of allows, behind a server with cached API tokens.
func newAuthorizeFixture(b *testing.B) *authorizeFixture {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	fx := loadgen.Generate(10000, 500, 1)
	secret, err := fx.Load(warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "bench"}), db)
	if err != nil {
		b.Fatal(err)
	}
	engineCtx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	engine := policy.New(policy.Config{Identities: db, Credentials: db, Policies: db, Entities: db, Log: db, Events: db, Changes: db,
		Findings: policy.GovernanceFindings{Findings: db}, SampleAllows: 0.01})
	if err := engine.Start(engineCtx); err != nil {
		b.Fatal(err)
	}
	tokens := NewCachedTokens(engineCtx, db, db, time.Second)
	handler := New(Config{Identities: db, Credentials: db, Tokens: tokens, Audit: db, Policy: PolicyConfig{Engine: engine}})
	// Warm the identity cache, as a running server's is.
	for _, body := range fx.Bodies {
		if _, err := engine.Decide(ctx, decodeBenchRequest(b, body), "warmup"); err != nil {
			b.Fatal(err)
		}
	}
	return &authorizeFixture{handler: handler, engine: engine, secret: secret, bodies: fx.Bodies}
}

// authorizeBenchCPU is the user and system CPU time this process has used.
func authorizeBenchCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func decodeBenchRequest(b *testing.B, body []byte) *policy.Request {
	var req policy.Request
	if err := json.Unmarshal(body, &req); err != nil {
		b.Fatal(err)
	}
	return &req
}
