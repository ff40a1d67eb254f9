package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// tokenMaker signs claims the way one verifier's legitimate issuer does.
type tokenMaker struct {
	alg     jose.SignatureAlgorithm
	key     crypto.Signer
	kid     string
	headers map[jose.HeaderKey]any // e.g. x5c
	claims  func() map[string]any  // claims the verifier accepts
}

func (m tokenMaker) sign(t *testing.T, claims map[string]any) string {
	return signClaims(t, m.alg, m.key, m.kid, m.headers, claims)
}

func publicPEM(pub crypto.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// hostileCases are the attacks every verifier must refuse.
func hostileCases(t *testing.T, m tokenMaker) map[string]string {
	good := m.claims
	with := func(k string, v any) map[string]any { c := good(); c[k] = v; return c }
	without := func(k string) map[string]any { c := good(); delete(c, k); return c }
	b64 := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	hdr := map[string]any{"alg": "none", "kid": m.kid}
	for k, v := range m.headers {
		hdr[string(k)] = v
	}
	valid := m.sign(t, good())
	parts := strings.Split(valid, ".")
	sig := []byte(parts[2])
	sig[5] ^= 0x01
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hsHeaders := map[jose.HeaderKey]any{}
	for k, v := range m.headers {
		hsHeaders[k] = v
	}
	critHeaders := map[jose.HeaderKey]any{"crit": []string{"urn:example:unknown"}, "urn:example:unknown": true}
	for k, v := range m.headers {
		critHeaders[k] = v
	}
	return map[string]string{
		"AlgNone":          b64(hdr) + "." + b64(good()) + ".",
		"HS256WithPubKey":  signClaims(t, jose.HS256, publicPEM(m.key.Public()), m.kid, hsHeaders, good()),
		"WrongKid":         signClaims(t, m.alg, m.key, "not-a-known-kid", m.headers, good()),
		"OtherKeySameKid":  signClaims(t, jose.ES256, other, m.kid, m.headers, good()),
		"Expired":          m.sign(t, with("exp", time.Now().Add(-time.Hour).Unix())),
		"NoExpiry":         m.sign(t, without("exp")),
		"NotYetValid":      m.sign(t, with("nbf", time.Now().Add(time.Hour).Unix())),
		"IssuedInFuture":   m.sign(t, with("iat", time.Now().Add(time.Hour).Unix())),
		"WrongIssuer":      m.sign(t, with("iss", "https://evil.example.com")),
		"WrongAudience":    m.sign(t, with("aud", "https://evil.example.com")),
		"BadSignature":     parts[0] + "." + parts[1] + "." + string(sig),
		"UnknownCrit":      signClaims(t, m.alg, m.key, m.kid, critHeaders, good()),
		"Oversized":        m.sign(t, with("pad", strings.Repeat("A", MaxTokenBytes))),
		"NotAJWT":          "not.a.jwt.at.all",
		"Empty":            "",
		"PayloadTampered":  parts[0] + "." + b64(with("sub", "spiffe://example.org/admin")) + "." + parts[2],
		"ValidForContrast": valid,
	}
}

func runHostile(t *testing.T, m tokenMaker, verify func(raw string) error, skipKid bool) {
	cases := hostileCases(t, m)
	if skipKid {
		delete(cases, "WrongKid")
	} else {
		cases["MissingKid"] = signClaims(t, m.alg, m.key, "", m.headers, m.claims())
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			err := verify(raw)
			if name == "ValidForContrast" {
				if err != nil {
					t.Fatalf("the legitimate token is refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("hostile token accepted")
			}
			if code := warden.ErrorCode(err); code != warden.EUNAUTHORIZED {
				t.Fatalf("error code %s (%v), want unauthorized", code, err)
			}
		})
	}
}

func TestVerifyToken_RefusesHostileTokens(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	k := e.is.keys.Load().jwtCurrent
	m := tokenMaker{alg: k.alg, key: k.signer, kid: k.id, headers: map[jose.HeaderKey]any{"typ": "JWT"}, claims: func() map[string]any {
		now := time.Now()
		jti := newJTI()
		rec := &warden.IssuedCredential{ID: jti, Kind: warden.IssuedJWTSVID, IdentityID: c.Identity.ID, EntryID: c.Entry.ID,
			SPIFFEID: c.SPIFFEID, Attestation: "test", IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := e.db.RecordIssuedCredential(e.ctx, rec); err != nil {
			t.Fatal(err)
		}
		return map[string]any{"iss": e.srv.URL, "sub": c.SPIFFEID, "aud": "https://api.example.org", "jti": jti,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "identity_id": c.Identity.ID}
	}}
	runHostile(t, m, func(raw string) error {
		_, err := e.is.VerifyToken(e.ctx, raw, "https://api.example.org")
		return err
	}, false)
}

// localOIDC is a real OIDC issuer on loopback (discovery + JWKS) signing
// RS256 tokens like GitHub Actions does.
type localOIDC struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

func newLocalOIDC(t *testing.T) *localOIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := &localOIDC{key: key, kid: "gh-key-1"}
	mux := http.NewServeMux()
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeTestJSON(w, map[string]any{"issuer": o.srv.URL, "jwks_uri": o.srv.URL + "/.well-known/jwks"})
	})
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, r *http.Request) {
		writeTestJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: o.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	return o
}

// githubClaims are the claims of a GitHub Actions OIDC token.
func (o *localOIDC) githubClaims(repo string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": o.srv.URL, "aud": "warden", "sub": "repo:" + repo + ":ref:refs/heads/main",
		"repository": repo, "ref": "refs/heads/main", "workflow": "deploy", "jti": newJTI(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func oidcEnv(t *testing.T) (*testEnv, *localOIDC) {
	o := newLocalOIDC(t)
	e := newEnv(t, func(c *Config) {
		c.TrustedIssuers = []TrustedIssuer{{Issuer: o.srv.URL, Audience: "warden"}}
	})
	e.entry(t, "deployer", warden.AttestOIDC, func(en *warden.RegistrationEntry) {
		en.OIDCIssuer = o.srv.URL
		en.Selectors = map[string]string{"repository": "acme/shop", "ref": "refs/heads/main"}
	})
	return e, o
}

func TestAttestOIDC_GitHubTokenMatchesBoundClaims(t *testing.T) {
	e, o := oidcEnv(t)
	m := tokenMaker{alg: jose.RS256, key: o.key, kid: o.kid}
	c, err := e.is.Authenticate(e.ctx, Evidence{Assertion: m.sign(t, o.githubClaims("acme/shop"))})
	if err != nil || c.SPIFFEID != "spiffe://example.org/deployer" || !strings.HasPrefix(c.Attestation, "oidc:"+o.srv.URL) {
		t.Fatalf("attest: %+v, %v", c, err)
	}
	for name, claims := range map[string]map[string]any{
		"OtherRepository": o.githubClaims("acme/evil"),
		"OtherRef":        func() map[string]any { c := o.githubClaims("acme/shop"); c["ref"] = "refs/heads/dev"; return c }(),
		"ClaimNotString": func() map[string]any {
			c := o.githubClaims("acme/shop")
			c["ref"] = []string{"refs/heads/main"}
			return c
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: m.sign(t, claims)})
			if warden.ErrorCode(err) != warden.EUNAUTHORIZED {
				t.Fatalf("unbound claims accepted: %v", err)
			}
		})
	}
}

func TestAttestOIDC_RefusesHostileTokens(t *testing.T) {
	e, o := oidcEnv(t)
	m := tokenMaker{alg: jose.RS256, key: o.key, kid: o.kid, claims: func() map[string]any { return o.githubClaims("acme/shop") }}
	runHostile(t, m, func(raw string) error {
		_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: raw})
		return err
	}, false)
}

func TestClientAssertion_RefusesHostileTokens(t *testing.T) {
	e := newEnv(t)
	s, key := e.svid(t, e.workload(t, "billing"))
	var x5c []string
	for _, c := range s.Chain {
		x5c = append(x5c, b64(c.Raw))
	}
	aud := e.is.TokenEndpoint()
	m := tokenMaker{alg: jose.ES256, key: key, headers: map[jose.HeaderKey]any{"x5c": x5c}, claims: func() map[string]any {
		now := time.Now()
		return map[string]any{"iss": s.SPIFFEID, "sub": s.SPIFFEID, "aud": aud, "jti": newJTI(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}}
	// The key of a client assertion is the certificate's, so kid plays no
	// part; every other attack applies.
	runHostile(t, m, func(raw string) error {
		_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: raw, Audience: aud})
		return err
	}, true)
}

func TestReplay_JoinTokenAndAssertionJTIRefused(t *testing.T) {
	e := newEnv(t)
	entry := e.entry(t, "billing", warden.AttestJoinToken, nil)
	_, secret, err := e.db.CreateJoinToken(e.ctx, entry.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.is.Authenticate(e.ctx, Evidence{JoinToken: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("JoinToken", func(t *testing.T) {
		_, err := e.is.Authenticate(e.ctx, Evidence{JoinToken: secret})
		if warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("replayed join token: %v", err)
		}
	})
	t.Run("ClientAssertionJTI", func(t *testing.T) {
		s, key := e.svid(t, c)
		a := assertion(t, s, key, e.is.TokenEndpoint(), nil)
		if _, err := e.is.Authenticate(e.ctx, Evidence{Assertion: a, Audience: e.is.TokenEndpoint()}); err != nil {
			t.Fatalf("first use: %v", err)
		}
		_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: a, Audience: e.is.TokenEndpoint()})
		if warden.ErrorCode(err) != warden.EUNAUTHORIZED || !strings.Contains(err.Error(), "replay") {
			t.Fatalf("replayed assertion: %v", err)
		}
	})
	t.Run("LongLivedAssertion", func(t *testing.T) {
		s, key := e.svid(t, c)
		a := assertion(t, s, key, e.is.TokenEndpoint(), func(m map[string]any) { m["exp"] = time.Now().Add(time.Hour).Unix() })
		if _, err := e.is.Authenticate(e.ctx, Evidence{Assertion: a, Audience: e.is.TokenEndpoint()}); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("hour-long assertion accepted: %v", err)
		}
	})
	_ = context.Background
}
