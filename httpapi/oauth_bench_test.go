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
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
	"github.com/warden-nhi/warden/store"
)

// BenchmarkOAuthToken_Loopback measures the token endpoint over real HTTP
// on loopback against SQLite: client_credentials with private_key_jwt
// client authentication (x5c chain verification, jti replay record,
// issuance record with audit, ES256 signature). Baselines in the same run:
// a bare GET /healthz round trip (HTTP cost) and one raw ES256 signature
// (the minting cost). Assertions are signed before the timer starts.
// Report: tokens/s and the ratio to the baselines. The assertion's jti is
// recorded in the issuance transaction: one durable commit per token.
func BenchmarkOAuthToken_Loopback(b *testing.B) {
	e := newBenchEnv(b, false)
	w := e.workload(b, "bench")
	e.fetchX509(b, w, e.joinToken(b, w))
	client := e.http.Client()
	// The same server on a store without RecordIssuedCredentialUsingJTI:
	// the jti is committed on its own before the issuance record, as
	// before the two were merged — the same-run "before" figure.
	e2 := newBenchEnv(b, true)
	w2 := e2.workload(b, "bench")
	e2.fetchX509(b, w2, e2.joinToken(b, w2))

	b.Run("baseline=healthz", func(b *testing.B) {
		defer reportCPU(b, processCPU())
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
	bodies := func(b *testing.B, e *testEnv, w *testWorkload) []string {
		out := make([]string, b.N)
		for i := range out {
			form := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {e.assertion(b, w, "/v1/oauth2/token")}}
			out[i] = form.Encode()
		}
		return out
	}
	postTo := func(b *testing.B, e *testEnv, body string) {
		resp, err := client.Post(e.http.URL+"/v1/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	post := func(b *testing.B, body string) { postTo(b, e, body) }
	b.Run("baseline=jti-separate-commit", func(b *testing.B) {
		in := bodies(b, e2, w2)
		b.ResetTimer()
		defer reportCPU(b, processCPU())
		for i := range b.N {
			postTo(b, e2, in[i])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("client_credentials", func(b *testing.B) {
		in := bodies(b, e, w)
		b.ResetTimer()
		defer reportCPU(b, processCPU())
		for i := range b.N {
			post(b, in[i])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	// Eight clients at once (4 per core): throughput when requests overlap
	// the durable commit of others.
	b.Run("client_credentials-8-clients", func(b *testing.B) {
		in := bodies(b, e, w)
		var next atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		defer reportCPU(b, processCPU())
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				post(b, in[next.Add(1)-1])
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// twoCommitStore hides the store's RecordIssuedCredentialUsingJTI, so the
// issuer commits a client assertion's jti on its own.
type twoCommitStore struct{ warden.IssuerStore }

// reportCPU reports the process CPU time per operation since start
// (client and server: both run in this process), in µs.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// newBenchEnv is newTestEnv for benchmarks: the server with its issuer on
// a SQLite file, and an admin token. twoCommits hides the store's
// one-transaction jti recording from the issuer.
func newBenchEnv(b *testing.B, twoCommits bool) *testEnv {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "warden.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := &testEnv{db: db, registry: prometheus.NewRegistry(), logs: &lockedBuffer{}, tokens: map[warden.Role]string{}}
	hs := httptest.NewUnstartedServer(nil)
	if !twoCommits {
		e.issuer = newTestIssuer(b, db, "http://"+hs.Listener.Addr().String())
	} else {
		kek, err := issuer.GenerateKEK()
		if err != nil {
			b.Fatal(err)
		}
		e.issuer, err = issuer.New(context.Background(), issuer.Config{TrustDomain: testTrustDomain, IssuerURL: "http://" + hs.Listener.Addr().String(),
			Store: twoCommitStore{db}, Identities: db, KEK: kek})
		if err != nil {
			b.Fatal(err)
		}
	}
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
