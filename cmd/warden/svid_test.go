package main

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/issuer"
	"github.com/warden-nhi/warden/store"
)

// issuerEnv is a real warden server with its issuer on loopback over a
// real SQLite store; WARDEN_SERVER and WARDEN_TOKEN (admin) point at it.
type issuerEnv struct {
	db  *store.DB
	url string
}

func newIssuerEnv(t *testing.T) *issuerEnv {
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
	kek, err := issuer.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	is, err := issuer.New(ctx, issuer.Config{TrustDomain: "example.org", IssuerURL: url, Store: db, Identities: db, KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = httpapi.New(httpapi.Config{Identities: db, Credentials: db, Tokens: db, Audit: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), Issuer: is, IssuerStore: db})
	hs.Start()
	t.Cleanup(hs.Close)
	t.Setenv(envServer, url)
	t.Setenv(envToken, secret)
	return &issuerEnv{db: db, url: url}
}

// entry registers a workload through the CLI and returns the entry id and
// the identity id.
func (e *issuerEnv) entry(t *testing.T, name string) (entryID, identityID string) {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: "spiffe://example.org/" + name, Name: name}
	if err := e.db.CreateIdentity(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "", "entries", "create", "spiffe://example.org/"+name, "--identity", id.ID,
		"--audience", "https://api.example.org", "--scope", "orders:read", "--x509-ttl", "5m")
	return strings.TrimSpace(out), id.ID
}

func TestSVIDFetch_WritesPrivateFilesThatVerifyWithGoSPIFFE(t *testing.T) {
	e := newIssuerEnv(t)
	entryID, _ := e.entry(t, "billing")
	if list := mustRun(t, "", "entries", "list"); !strings.Contains(list, entryID) || !strings.Contains(list, "spiffe://example.org/billing") {
		t.Fatalf("entries list lacks the entry:\n%s", list)
	}
	joinFile := filepath.Join(t.TempDir(), "join")
	if err := os.WriteFile(joinFile, []byte(mustRun(t, "", "entries", "join-token", entryID, "--ttl", "10m")), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "svid")
	mustRun(t, "", "svid", "fetch", "--join-token-file", joinFile, "--out-dir", dir, "--jwt-audience", "https://api.example.org", "--once")

	for _, name := range []string{svidCertFile, svidKeyFile, svidBundleFile, svidJWTFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, perm)
		}
	}
	chain := readCerts(t, filepath.Join(dir, svidCertFile))
	roots := readCerts(t, filepath.Join(dir, svidBundleFile))
	id, _, err := x509svid.Verify(chain, x509bundle.FromX509Authorities(spiffeid.RequireTrustDomainFromString("example.org"), roots))
	if err != nil || id.String() != "spiffe://example.org/billing" {
		t.Fatalf("go-spiffe: %v, %v", id, err)
	}
	if _, err := x509svid.Load(filepath.Join(dir, svidCertFile), filepath.Join(dir, svidKeyFile)); err != nil {
		t.Errorf("the key file does not match the certificate: %v", err)
	}
	jwt, _ := os.ReadFile(filepath.Join(dir, svidJWTFile))
	if strings.Count(strings.TrimSpace(string(jwt)), ".") != 2 {
		t.Errorf("jwt_svid.token = %q", jwt)
	}

	// The join token is used up: a second fetch with it is refused.
	_, stderr, err := runCLI(t, "", "svid", "fetch", "--join-token-file", joinFile, "--out-dir", dir, "--once")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("second use of the join token: err %v, stderr %s", err, stderr)
	}
}

func TestSVIDFetch_RefusesAmbiguousAttestation(t *testing.T) {
	for name, args := range map[string][]string{
		"None": {"svid", "fetch", "--once"},
		"Both": {"svid", "fetch", "--once", "--join-token", "wjt_x", "--oidc-token-file", "/dev/null"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := runCLI(t, "", args...); err == nil || !strings.Contains(err.Error(), "exactly one") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestSVIDFetch_RenewsBeforeExpiryUntilQuarantined runs the renewal loop
// with a short renewal time: each renewal brings a new certificate for a
// new key, authenticated by the previous SVID; once the identity is
// quarantined, renewals fail and the files keep the last SVID.
func TestSVIDFetch_RenewsBeforeExpiryUntilQuarantined(t *testing.T) {
	e := newIssuerEnv(t)
	entryID, identityID := e.entry(t, "renewer")
	join := strings.TrimSpace(mustRun(t, "", "entries", "join-token", entryID))
	dir := t.TempDir()
	log := &syncBuffer{}
	f := &svidFetcher{server: e.url, http: &http.Client{Timeout: 10 * time.Second}, outDir: dir, audiences: []string{"https://api.example.org"},
		joinToken: join, log: log, now: time.Now,
		renewAt: quickRenewal}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.run(ctx, false) }()

	serials := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(serials) < 3 && time.Now().Before(deadline) {
		if data, err := os.ReadFile(filepath.Join(dir, svidCertFile)); err == nil {
			if certs, err := parseCertsPEM(data); err == nil {
				serials[certs[0].SerialNumber.String()] = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(serials) < 3 {
		cancel()
		t.Fatalf("saw %d distinct SVIDs, want at least 3 (renewals); log:\n%s", len(serials), log)
	}
	status := warden.StatusQuarantined
	if _, err := e.db.UpdateIdentity(context.Background(), identityID, warden.IdentityUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(log.String(), "renewal failed") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(log.String(), "renewal failed") || !strings.Contains(log.String(), "quarantined") {
		t.Errorf("renewal of a quarantined identity did not fail; log:\n%s", log)
	}
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := parseCertsPEM(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return certs
}

// syncBuffer is a log the fetcher writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// quickRenewal renews 200 ms after issuance. X.509-SVIDs are backdated by
// 30 s (NotBefore), so their lifetime is over 5m10s for the 5m entry TTL.
func quickRenewal(issued, expires time.Time) time.Time {
	if expires.Sub(issued) > 5*time.Minute+10*time.Second {
		issued = issued.Add(30 * time.Second)
	}
	return issued.Add(200 * time.Millisecond)
}
