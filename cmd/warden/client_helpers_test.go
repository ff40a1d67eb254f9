package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/store"
)

// The -update flag rewrites golden files. It is registered only if no other
// test file of the package has registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// seenRequest is what the server received, for assertions on what the CLI
// sends (and does not send).
type seenRequest struct {
	Method string
	URL    string // path and query as received
	Body   string
}

// apiEnv is a real warden API server on loopback over a real SQLite store,
// with a recording of every request it received.
type apiEnv struct {
	db    *store.DB
	url   string
	admin string // admin token secret

	mu   sync.Mutex
	seen []seenRequest
}

// newAPIEnv starts the server and points WARDEN_SERVER and WARDEN_TOKEN
// (an admin token) at it for the commands the test runs.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, secret, err := db.CreateToken(ctx, "test-admin", warden.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
	})
	e := &apiEnv{db: db, admin: secret}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, seenRequest{Method: r.Method, URL: r.URL.RequestURI(), Body: string(body)})
		e.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	t.Setenv(envServer, srv.URL)
	t.Setenv(envToken, secret)
	return e
}

// serveAPI serves the API over db on loopback for the commands a test
// runs, and points WARDEN_SERVER at it. cfg names the services the test
// needs; the store's identities, credentials, tokens and audit, a silent
// logger and a fresh metrics registry are filled in.
func serveAPI(t *testing.T, db *store.DB, cfg httpapi.Config) {
	t.Helper()
	cfg.Identities, cfg.Credentials, cfg.Tokens, cfg.Audit = db, db, db, db
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Registry = prometheus.NewRegistry()
	srv := httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(srv.Close)
	t.Setenv(envServer, srv.URL)
}

// apiToken creates an API token named name with role in db and returns
// its secret.
func apiToken(t *testing.T, db *store.DB, name string, role warden.Role) string {
	t.Helper()
	_, secret, err := db.CreateToken(context.Background(), name, role)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// loadDemo fills the store with the demo inventory as of now.
func (e *apiEnv) loadDemo(t *testing.T, now time.Time) int {
	t.Helper()
	n, err := demo.Load(context.Background(), e.db, e.db, now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// requests returns the recorded requests and forgets them.
func (e *apiEnv) requests() []seenRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.seen
	e.seen = nil
	return out
}

// runCLI runs the warden command line in-process with stdin and returns
// what it printed.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// mustRun is runCLI for commands that must succeed.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, stdin, args...)
	if err != nil {
		t.Fatalf("warden %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// closedAddr returns an http:// address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updateGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
