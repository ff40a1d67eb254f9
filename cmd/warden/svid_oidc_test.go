package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/warden-nhi/warden"
)

// fakeCI is a real OIDC issuer on loopback (discovery and JWKS over
// HTTP) that signs RS256 tokens shaped like GitHub Actions' OIDC tokens.
type fakeCI struct {
	srv    *httptest.Server
	signer jose.Signer
}

func newFakeCI(t *testing.T) *fakeCI {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "ci-1"))
	if err != nil {
		t.Fatal(err)
	}
	ci := &fakeCI{signer: signer}
	mux := http.NewServeMux()
	ci.srv = httptest.NewServer(mux)
	t.Cleanup(ci.srv.Close)
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": ci.srv.URL, "jwks_uri": ci.srv.URL + "/.well-known/jwks"})
	})
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "ci-1", Algorithm: "RS256", Use: "sig"}}})
	})
	return ci
}

// token signs a workflow token for repo with audience aud.
func (ci *fakeCI) token(t *testing.T, repo, aud string) string {
	t.Helper()
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": ci.srv.URL, "aud": aud, "sub": "repo:" + repo + ":ref:refs/heads/main",
		"repository": repo, "ref": "refs/heads/main", "workflow": "deploy", "jti": now.Format(time.RFC3339Nano),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	jws, err := ci.signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestServe_OIDCIssuersFileAttestsCIWorkloads starts the warden binary
// with --oidc-issuers naming a real local OIDC issuer, registers an oidc
// entry bound to a repository through the CLI, and has "warden svid fetch
// --oidc-token-file" obtain an X.509-SVID (verified with go-spiffe) and a
// JWT-SVID with a CI token. Tokens for another audience, of another
// repository or of an issuer not in the file are refused with 401.
func TestServe_OIDCIssuersFileAttestsCIWorkloads(t *testing.T) {
	ci := newFakeCI(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "oidc-issuers.json")
	conf := `[{"issuer": "` + ci.srv.URL + `", "audience": "warden-test", "algorithms": ["RS256"]}]`
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "admin.token")
	p := startServer(t, filepath.Join(dir, "w.db"), tokenFile, "--trust-domain", "example.org", "--oidc-issuers", cfg)
	if !strings.Contains(p.logText(), "issuer trusts OIDC issuer") {
		t.Errorf("the log does not list the trusted issuer:\n%s", p.logText())
	}
	admin, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envServer, p.url)
	t.Setenv(envToken, strings.TrimSpace(string(admin)))

	var id warden.Identity
	body, _ := json.Marshal(map[string]any{"kind": "workload", "provider": "warden", "external_id": "spiffe://example.org/ci/deploy", "name": "deploy"})
	req, _ := http.NewRequest("POST", p.url+"/v1/identities", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(admin)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create identity: status %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	mustRun(t, "", "entries", "create", "spiffe://example.org/ci/deploy", "--identity", id.ID, "--method", "oidc",
		"--oidc-issuer", ci.srv.URL, "--selector", "repository=acme/shop", "--selector", "ref=refs/heads/main",
		"--audience", "https://api.example.org")

	tokFile := filepath.Join(dir, "ci.token")
	if err := os.WriteFile(tokFile, []byte(ci.token(t, "acme/shop", "warden-test")), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "svid")
	mustRun(t, "", "svid", "fetch", "--oidc-token-file", tokFile, "--out-dir", out, "--jwt-audience", "https://api.example.org", "--once")
	chain := readCerts(t, filepath.Join(out, svidCertFile))
	roots := readCerts(t, filepath.Join(out, svidBundleFile))
	sid, _, err := x509svid.Verify(chain, x509bundle.FromX509Authorities(spiffeid.RequireTrustDomainFromString("example.org"), roots))
	if err != nil || sid.String() != "spiffe://example.org/ci/deploy" {
		t.Fatalf("go-spiffe: %v, %v", sid, err)
	}
	if jwt, err := os.ReadFile(filepath.Join(out, svidJWTFile)); err != nil || strings.Count(string(jwt), ".") != 2 {
		t.Fatalf("JWT-SVID file: %q, %v", jwt, err)
	}

	other := newFakeCI(t)
	for name, tok := range map[string]string{
		"OtherAudience":   ci.token(t, "acme/shop", "someone-else"),
		"OtherRepository": ci.token(t, "acme/evil", "warden-test"),
		"UntrustedIssuer": other.token(t, "acme/shop", "warden-test"),
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", p.url+"/v1/svid/jwt", strings.NewReader(`{"audience":["https://api.example.org"]}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
}

// TestServe_RefusesBadOIDCIssuersFile: serve does not start with a
// trusted-issuers file it cannot use, and says which field is wrong.
func TestServe_RefusesBadOIDCIssuersFile(t *testing.T) {
	for name, tc := range map[string]struct{ content, want string }{
		"NoAudience":   {`[{"issuer":"https://token.actions.githubusercontent.com"}]`, "[0].audience is required"},
		"UnknownField": {`[{"issuer":"https://a.example","audience":"w","bound":{}}]`, `unknown field "bound"`},
		"HMAC":         {`[{"issuer":"https://a.example","audience":"w","algorithms":["HS256"]}]`, "[0].algorithms[0]"},
		"Missing":      {"", "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "issuers.json")
			if tc.content != "" {
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := newRootCmd(&strings.Builder{}, &strings.Builder{})
			cmd.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "w.db"), "--token-file", filepath.Join(t.TempDir(), "tok"), "--oidc-issuers", path})
			err := cmd.ExecuteContext(t.Context())
			if err == nil || !strings.Contains(err.Error(), "--oidc-issuers") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want --oidc-issuers and %q", err, tc.want)
			}
		})
	}
}
