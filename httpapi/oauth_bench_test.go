package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// BenchmarkOAuthToken_Loopback measures the token endpoint over real HTTP
// on loopback against SQLite: client_credentials with private_key_jwt
// client authentication (x5c chain verification, jti replay record,
// issuance record with audit, ES256 signature). Baselines in the same run:
// a bare GET /healthz round trip (HTTP cost) and one raw ES256 signature
// (the minting cost). Assertions are signed before the timer starts.
// Report: tokens/s and the ratio to the baselines.
func BenchmarkOAuthToken_Loopback(b *testing.B) {
	e := newBenchEnv(b)
	w := e.workload(b, "bench")
	e.fetchX509(b, w, e.joinToken(b, w))
	client := e.http.Client()

	b.Run("baseline=healthz", func(b *testing.B) {
		for b.Loop() {
			resp, err := client.Get(e.http.URL + "/healthz")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("baseline=sign-ES256", func(b *testing.B) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		digest := sha256.Sum256([]byte("payload"))
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client_credentials", func(b *testing.B) {
		bodies := make([]string, b.N)
		for i := range bodies {
			form := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {e.assertion(b, w, "/v1/oauth2/token")}}
			bodies[i] = form.Encode()
		}
		b.ResetTimer()
		for i := range b.N {
			resp, err := client.Post(e.http.URL+"/v1/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(bodies[i]))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// newBenchEnv is newTestEnv for benchmarks: the server with its issuer on
// a SQLite file, and an admin token.
func newBenchEnv(b *testing.B) *testEnv {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "warden.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := &testEnv{db: db, registry: prometheus.NewRegistry(), logs: &lockedBuffer{}, tokens: map[warden.Role]string{}}
	hs := httptest.NewUnstartedServer(nil)
	e.issuer = newTestIssuer(b, db, "http://"+hs.Listener.Addr().String())
	e.srv = New(Config{Identities: db, Credentials: db, Tokens: db, Audit: db, Ready: db.Ping,
		Logger: slog.New(slog.DiscardHandler), Registry: e.registry, Issuer: e.issuer, IssuerStore: db})
	hs.Config.Handler = e.srv
	hs.Start()
	b.Cleanup(hs.Close)
	e.http = hs
	_, secret, err := db.CreateToken(context.Background(), "bench-admin", warden.RoleAdmin)
	if err != nil {
		b.Fatal(err)
	}
	e.tokens[warden.RoleAdmin] = secret
	return e
}
