package httpapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// TestRoutes_WorkloadRoutesRequireAttestation walks every workload route
// and checks that it answers 401 to anything but a valid attestation,
// including a valid admin API token, in the route's error format.
func TestRoutes_WorkloadRoutesRequireAttestation(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "walker")
	spent := e.joinToken(t, w)
	e.fetchX509(t, w, spent) // uses the join token up
	untrusted := foreignJWT(t, "https://evil.example.com")
	var n int
	for _, rt := range e.srv.Routes() {
		if rt.Permission != workloadAuth {
			continue
		}
		n++
		oauth := isOAuthRoute(rt.Pattern)
		for _, tc := range []struct {
			name   string
			header string
		}{
			{"NoCredential", ""},
			{"GarbageBearer", "Bearer garbage"},
			{"AdminAPIToken", "Bearer " + e.tokens[warden.RoleAdmin]},
			{"UnknownJoinToken", "Bearer wjt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
			{"SpentJoinToken", "Bearer " + spent},
			{"UntrustedIssuerToken", "Bearer " + untrusted},
			{"AssertionForAnotherEndpoint", "Bearer " + e.assertion(t, w, "/v1/other")},
			{"BasicScheme", "Basic " + spent},
			{"OversizeBearer", "Bearer " + strings.Repeat("A", 9000)},
		} {
			t.Run(rt.Method+" "+rt.Pattern+"/"+tc.name, func(t *testing.T) {
				req := request{method: rt.Method, path: rt.Pattern, body: "{}", header: http.Header{}}
				if oauth {
					req.body, req.contentType = "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.org&token=x", "application/x-www-form-urlencoded"
				}
				if tc.header != "" {
					req.header.Set("Authorization", tc.header)
				}
				resp := e.do(t, req)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401; body %s", resp.StatusCode, resp.body)
				}
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
				if oauth {
					if got := resp.oauthError(t).Error; got != "invalid_client" {
						t.Errorf("error = %q, want invalid_client", got)
					}
				} else if p := resp.problem(t); p.Code != warden.EUNAUTHORIZED {
					t.Errorf("code = %q, want %q", p.Code, warden.EUNAUTHORIZED)
				}
			})
		}
	}
	if n != 5 {
		t.Errorf("%d workload routes, want 5 (x509, jwt, token, introspect, revoke)", n)
	}
}

func TestRoutes_WorkloadAuthIsGrantedToNoRole(t *testing.T) {
	for _, role := range warden.Roles {
		if role.Can(workloadAuth) {
			t.Errorf("role %s can %s: API tokens would reach workload routes", role, workloadAuth)
		}
	}
}

// TestOAuth_OneAuthenticationMethodOnly: RFC 6749 §2.3 forbids a client
// from using more than one method in a request.
func TestOAuth_OneAuthenticationMethodOnly(t *testing.T) {
	e := newTestEnv(t)
	w := e.workload(t, "both")
	e.fetchX509(t, w, e.joinToken(t, w))
	form := "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.org&client_assertion_type=" +
		"urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + e.assertion(t, w, "/v1/oauth2/token")
	resp := e.do(t, request{method: "POST", path: "/v1/oauth2/token", body: form, contentType: "application/x-www-form-urlencoded",
		header: http.Header{"Authorization": {"Bearer " + e.assertion(t, w, "/v1/oauth2/token")}}})
	if resp.StatusCode != http.StatusUnauthorized || resp.oauthError(t).Error != "invalid_client" {
		t.Fatalf("status %d, body %s; want 401 invalid_client", resp.StatusCode, resp.body)
	}
}

// foreignJWT is a well-formed JWT from an issuer warden does not trust.
func foreignJWT(t testing.TB, iss string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": iss, "sub": "repo:acme/app", "aud": "warden",
		"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}
