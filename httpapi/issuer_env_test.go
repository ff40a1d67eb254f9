package httpapi

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
	"github.com/warden-nhi/warden/store"
)

// testTrustDomain is the trust domain of test servers.
const testTrustDomain = "example.org"

// newTestIssuer makes an issuer on db with a fresh key-encryption key.
func newTestIssuer(t testing.TB, db *store.DB, issuerURL string) *issuer.Issuer {
	t.Helper()
	kek, err := issuer.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	is, err := issuer.New(context.Background(), issuer.Config{TrustDomain: testTrustDomain, IssuerURL: issuerURL,
		Store: db, Identities: db, KEK: kek})
	if err != nil {
		t.Fatalf("new issuer: %v", err)
	}
	return is
}

// testWorkload is a registered workload: its identity and entry.
type testWorkload struct {
	identity *warden.Identity
	entry    *warden.RegistrationEntry
	// svid and key, once svid() ran.
	chain []*x509.Certificate
	key   crypto.Signer
}

// workload creates an identity and a join-token registration entry for it
// through the admin API.
func (e *testEnv) workload(t testing.TB, name string) *testWorkload {
	t.Helper()
	var id warden.Identity
	e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "workload", "provider": "warden",
		"external_id": "spiffe://" + testTrustDomain + "/" + name, "name": name}, http.StatusCreated, &id)
	var entry warden.RegistrationEntry
	e.admin(t, "POST", "/v1/issuer/entries", map[string]any{
		"spiffe_id": "spiffe://" + testTrustDomain + "/" + name, "identity_id": id.ID, "method": "join_token",
		"audiences": []string{"https://api.example.org", "https://payments.example.org"},
		"scopes":    []string{"orders:read", "orders:write", "payments:refund"},
	}, http.StatusCreated, &entry)
	return &testWorkload{identity: &id, entry: &entry}
}

// joinToken makes a join token for the workload's entry and returns its secret.
func (e *testEnv) joinToken(t testing.TB, w *testWorkload) string {
	t.Helper()
	var out joinTokenCreated
	e.admin(t, "POST", "/v1/issuer/entries/"+w.entry.ID+"/join-tokens", map[string]any{"ttl": "10m"}, http.StatusCreated, &out)
	if !strings.HasPrefix(out.Secret, store.JoinTokenPrefix) || out.JoinToken.EntryID != w.entry.ID {
		t.Fatalf("join token = %+v", out)
	}
	return out.Secret
}

// csrPEM makes a P-256 key and a PEM CSR for it.
func csrPEM(t testing.TB) (crypto.Signer, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"ignored.example.com"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// fetchX509 obtains an X.509-SVID over HTTP with the bearer credential
// (a join token or a client assertion) and keeps it and its key.
func (e *testEnv) fetchX509(t testing.TB, w *testWorkload, bearer string) {
	t.Helper()
	key, csr := csrPEM(t)
	resp := e.do(t, request{method: "POST", path: "/v1/svid/x509", token: bearer, body: map[string]any{"csr": csr}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/svid/x509: status %d; body %s", resp.StatusCode, resp.body)
	}
	var out x509SVIDResponse
	resp.decode(t, &out)
	chain, err := parsePEMCerts([]byte(out.Chain))
	if err != nil || len(chain) == 0 {
		t.Fatalf("chain: %v", err)
	}
	if out.SPIFFEID != w.entry.SPIFFEID || chain[0].URIs[0].String() != w.entry.SPIFFEID {
		t.Fatalf("SVID for %s, want %s", out.SPIFFEID, w.entry.SPIFFEID)
	}
	w.chain, w.key = chain, key
}

func parsePEMCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// assertion signs an RFC 7523 client assertion for the endpoint path with
// the workload's SVID key, the SVID in x5c.
func (e *testEnv) assertion(t testing.TB, w *testWorkload, path string) string {
	t.Helper()
	var x5c []string
	for _, c := range w.chain {
		x5c = append(x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: w.key},
		&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"x5c": x5c}})
	if err != nil {
		t.Fatal(err)
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": w.entry.SPIFFEID, "sub": w.entry.SPIFFEID, "aud": e.issuer.IssuerURL() + path,
		"jti": base64.RawURLEncoding.EncodeToString(jti[:]), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
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

// oauth posts a form to an OAuth endpoint, authenticating the workload
// with a private_key_jwt client assertion.
func (e *testEnv) oauth(t testing.TB, w *testWorkload, path string, form url.Values) *response {
	t.Helper()
	form.Set("client_assertion_type", issuer.ClientAssertionJWT)
	form.Set("client_assertion", e.assertion(t, w, path))
	return e.do(t, request{method: "POST", path: path, body: form.Encode(), contentType: "application/x-www-form-urlencoded"})
}

// oauthErrorBody is an RFC 6749 §5.2 error response.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (r *response) oauthError(t testing.TB) oauthErrorBody {
	t.Helper()
	var out oauthErrorBody
	r.decode(t, &out)
	if out.Error == "" {
		t.Fatalf("no error code in %s", r.body)
	}
	return out
}
