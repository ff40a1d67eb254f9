package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/issuer"
	"github.com/warden-nhi/warden/offboard"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/review"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// testMaxBody is the body limit of test servers, small so that oversize
// bodies are cheap to build.
const testMaxBody = 64 << 10

// testEnv is a Server on a real SQLite store behind a loopback HTTP server,
// with one token per role.
type testEnv struct {
	db       *store.DB
	srv      *Server
	http     *httptest.Server
	registry *prometheus.Registry
	logs     *lockedBuffer
	tokens   map[warden.Role]string // role -> secret
	revoked  string                 // secret of a revoked admin token
	issuer   *issuer.Issuer         // on the same store, IssuerURL = http.URL
}

// newTestEnv serves a store on a new SQLite file.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newTestEnvOn(t, db)
}

// forEachStore runs fn against a fresh SQLite store and a fresh PostgreSQL
// schema (skipped when PostgreSQL is unreachable, failed when CI=true).
func forEachStore(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newTestEnv(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newTestEnvOn(t, storetest.OpenPostgres(t))) })
}

// newTestEnvOn serves db.
func newTestEnvOn(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	ctx := context.Background()
	e := &testEnv{db: db, registry: prometheus.NewRegistry(), logs: &lockedBuffer{}, tokens: map[warden.Role]string{}}
	hs := httptest.NewUnstartedServer(nil)
	e.issuer = newTestIssuer(t, db, "http://"+hs.Listener.Addr().String())
	e.srv = New(Config{
		Identities:   db,
		Credentials:  db,
		Tokens:       db,
		Audit:        db,
		Leaks:        scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db}),
		Ready:        db.Ping,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:     e.registry,
		MaxBodyBytes: testMaxBody,
		Issuer:       e.issuer,
		IssuerStore:  db,
		Findings:     db,
		Posture:      db,
		Governance:   mustEvaluator(t, db),
		Access:       access.New(access.Config{Store: db, Identities: db, Events: db, Detections: db, Revoker: db, Tokens: e.issuer, Decisions: db}),
		Verifier:     e.issuer,
		Rightsize:    newTestRightsizer(t, db),
		Enforcement:  db,
		Programme:    db,
		Reviews: review.New(review.Config{Store: db, Identities: db, Findings: db, Events: db, Rightsize: newTestRightsizer(t, db),
			Actions: enforce.New(enforce.Config{Store: db, Identities: db})}),
		Onboarding: onboard.New(onboard.Config{Store: db, Identities: db, TrustDomain: testTrustDomain}),
		Offboarding: offboard.New(offboard.Config{Store: db, Identities: db, Credentials: db, Provenance: db,
			Actions: enforce.New(enforce.Config{Store: db, Identities: db})}),
		Owners: newTestOwners(t, db),
	})
	hs.Config.Handler = e.srv
	hs.Start()
	e.http = hs
	t.Cleanup(e.http.Close)
	for _, role := range warden.Roles {
		_, secret, err := db.CreateToken(ctx, "test-"+string(role), role)
		if err != nil {
			t.Fatalf("create %s token: %v", role, err)
		}
		e.tokens[role] = secret
	}
	tok, secret, err := db.CreateToken(ctx, "revoked-admin", warden.RoleAdmin)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	if _, err := db.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatalf("revoke token: %v", err)
	}
	e.revoked = secret
	return e
}

// response is an answered request with its body read.
type response struct {
	*http.Response
	body []byte
}

// problem decodes the body as a problem document, failing the test unless
// the response is one.
func (r *response) problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: Content-Type = %q, want application/problem+json; body %s", r.Request.Method, r.Request.URL, ct, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Status != r.StatusCode || p.Code == "" || p.Title == "" || p.Type != ProblemTypeBase+p.Code {
		t.Fatalf("malformed problem for status %d: %+v", r.StatusCode, p)
	}
	return p
}

// decode unmarshals the JSON body into v.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type = %q, want application/json; body %s", r.Request.Method, r.Request.URL, ct, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// request describes one call to the API.
type request struct {
	method, path string
	token        string // bearer secret; "" sends no Authorization header
	body         any    // string or []byte sent as is; anything else as JSON
	contentType  string // defaults to application/json when there is a body
	header       http.Header
}

func (e *testEnv) do(t testing.TB, req request) *response {
	t.Helper()
	var body io.Reader
	contentType := req.contentType
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal body: %v", err)
		}
		body = bytes.NewReader(data)
	}
	if body != nil && contentType == "" {
		contentType = "application/json"
	}
	hr, err := http.NewRequest(req.method, e.http.URL+req.path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	if contentType != "" && contentType != "-" {
		hr.Header.Set("Content-Type", contentType)
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	resp, err := e.http.Client().Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return &response{Response: resp, body: data}
}

// admin calls the API with the admin token and fails the test unless the
// status is want; it decodes a JSON answer into out when out is not nil.
func (e *testEnv) admin(t testing.TB, method, path string, body any, want int, out any) *response {
	t.Helper()
	resp := e.do(t, request{method: method, path: path, token: e.tokens[warden.RoleAdmin], body: body})
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, want, resp.body)
	}
	if out != nil {
		resp.decode(t, out)
	}
	return resp
}

// counter returns the value of a counter in the registry summed over the
// series whose labels include every pair of match.
func (e *testEnv) counter(t testing.TB, name string, match map[string]string) float64 {
	t.Helper()
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// concrete replaces the wildcards of a route pattern with value.
func concrete(pattern, value string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		b.WriteString(pattern[:i])
		b.WriteString(value)
		pattern = pattern[i+j+1:]
	}
}

// lockedBuffer collects the server's log while handlers write to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httptestRecord serves one bodiless request with h in process.
func httptestRecord(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}
