package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// testEnv is an Issuer on a real SQLite store, served on loopback with
// its discovery document and JWKS, so that OIDC libraries can find it.
type testEnv struct {
	db   *store.DB
	is   *Issuer
	kek  *KEK
	srv  *httptest.Server
	ctx  context.Context
	now  time.Time
	trst []TrustedIssuer
}

func newEnv(t testing.TB, opts ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{db: storetest.OpenSQLite(t), ctx: context.Background()}
	var err error
	if e.kek, err = GenerateKEK(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	cfg := Config{TrustDomain: "example.org", IssuerURL: e.srv.URL, Store: e.db, Identities: e.db, KEK: e.kek}
	for _, o := range opts {
		o(&cfg)
	}
	if e.is, err = New(e.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET "+PathDiscovery, func(w http.ResponseWriter, r *http.Request) { writeTestJSON(w, e.is.Discovery()) })
	mux.HandleFunc("GET "+PathJWKS, func(w http.ResponseWriter, r *http.Request) { writeTestJSON(w, e.is.JWKS()) })
	return e
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// workload creates an identity and a join-token entry and attests it.
func (e *testEnv) workload(t testing.TB, name string) *Caller {
	t.Helper()
	entry := e.entry(t, name, warden.AttestJoinToken, nil)
	_, secret, err := e.db.CreateJoinToken(e.ctx, entry.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.is.Authenticate(e.ctx, Evidence{JoinToken: secret})
	if err != nil {
		t.Fatalf("attest %s: %v", name, err)
	}
	return c
}

func (e *testEnv) entry(t testing.TB, name, method string, mod func(*warden.RegistrationEntry)) *warden.RegistrationEntry {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: "spiffe://example.org/" + name, Name: name}
	if err := e.db.CreateIdentity(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	entry := &warden.RegistrationEntry{SPIFFEID: id.ExternalID, IdentityID: id.ID, Method: method,
		Audiences: []string{"https://api.example.org", "https://payments.example.org", e.srv.URL},
		Scopes:    []string{"orders:read", "orders:write", "payments:refund"}}
	if mod != nil {
		mod(entry)
	}
	if err := e.db.CreateRegistrationEntry(e.ctx, entry); err != nil {
		t.Fatal(err)
	}
	return entry
}

func (e *testEnv) setStatus(t testing.TB, identityID string, s warden.Status) {
	t.Helper()
	if _, err := e.db.UpdateIdentity(e.ctx, identityID, warden.IdentityUpdate{Status: &s}); err != nil {
		t.Fatal(err)
	}
}

// newCSR makes a P-256 key and a CSR that asks for a SAN warden must ignore.
func newCSR(t testing.TB) (crypto.Signer, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "ignored"}, DNSNames: []string{"evil.example.com"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

// svid issues an X.509-SVID to the caller and returns it with its key.
func (e *testEnv) svid(t testing.TB, c *Caller) (*X509SVID, crypto.Signer) {
	t.Helper()
	key, csr := newCSR(t)
	s, err := e.is.IssueX509SVID(e.ctx, c, csr, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s, key
}

// assertion signs an RFC 7523 client assertion with an SVID key.
func assertion(t testing.TB, s *X509SVID, key crypto.Signer, aud string, mod func(map[string]any)) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{"iss": s.SPIFFEID, "sub": s.SPIFFEID, "aud": aud, "jti": newJTI(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	if mod != nil {
		mod(claims)
	}
	var x5c []string
	for _, c := range s.Chain {
		x5c = append(x5c, b64(c.Raw))
	}
	return signClaims(t, jose.ES256, key, "", map[jose.HeaderKey]any{"x5c": x5c}, claims)
}

// signClaims signs arbitrary claims with arbitrary headers.
func signClaims(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, headers map[jose.HeaderKey]any, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{}}
	for k, v := range headers {
		opts.ExtraHeaders[k] = v
	}
	if kid != "" {
		opts.ExtraHeaders["kid"] = kid
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func newUpstream(t testing.TB) *Upstream {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: bigOne(), Subject: pkix.Name{CommonName: "Acme Corp Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &Upstream{Cert: cert, Key: key}
}
func bigOne() *big.Int { return big.NewInt(1) }
