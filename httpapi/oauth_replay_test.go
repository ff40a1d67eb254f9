package httpapi

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
)

// TestClientAssertion_SingleUseOnEveryRoute: an assertion works once. On
// the routes that mint (token, JWT-SVID, X.509-SVID) its jti is recorded
// with the credential in one transaction; a replay is refused with 401 and
// mints nothing. An assertion whose first request failed (bad scope,
// panic-free handler error) is used up as well, so it cannot be replayed
// into a success. Over SQLite and PostgreSQL.
func TestClientAssertion_SingleUseOnEveryRoute(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		w := e.workload(t, "billing")
		e.fetchX509(t, w, e.joinToken(t, w))
		issued := func(t *testing.T) int {
			t.Helper()
			var page struct {
				Items []warden.IssuedCredential `json:"items"`
			}
			e.admin(t, "GET", "/v1/issuer/credentials?limit=100&identity_id="+w.identity.ID, nil, http.StatusOK, &page)
			return len(page.Items)
		}
		tokenForm := func(a, scope string) string {
			f := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example.org"},
				"client_assertion_type": {issuer.ClientAssertionJWT}, "client_assertion": {a}}
			if scope != "" {
				f.Set("scope", scope)
			}
			return f.Encode()
		}
		postForm := func(path, body string) *response {
			return e.do(t, request{method: "POST", path: path, body: body, contentType: "application/x-www-form-urlencoded"})
		}
		_, csr := csrPEM(t)
		for name, tc := range map[string]struct {
			path  string
			send  func(assertion string) *response
			mints bool
		}{
			"Token": {"/v1/oauth2/token", func(a string) *response { return postForm("/v1/oauth2/token", tokenForm(a, "")) }, true},
			"JWTSVID": {"/v1/svid/jwt", func(a string) *response {
				return e.do(t, request{method: "POST", path: "/v1/svid/jwt", token: a, body: map[string]any{"audience": []string{"https://api.example.org"}}})
			}, true},
			"X509SVID": {"/v1/svid/x509", func(a string) *response {
				return e.do(t, request{method: "POST", path: "/v1/svid/x509", token: a, body: map[string]any{"csr": csr}})
			}, true},
			"Introspect": {"/v1/oauth2/introspect", func(a string) *response {
				return postForm("/v1/oauth2/introspect", url.Values{"token": {"x.y.z"}, "client_assertion_type": {issuer.ClientAssertionJWT}, "client_assertion": {a}}.Encode())
			}, false},
		} {
			t.Run(name, func(t *testing.T) {
				before := issued(t)
				a := e.assertion(t, w, tc.path)
				if resp := tc.send(a); resp.StatusCode != http.StatusOK {
					t.Fatalf("first use: status %d; body %s", resp.StatusCode, resp.body)
				}
				if resp := tc.send(a); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("replay: status %d, want 401; body %s", resp.StatusCode, resp.body)
				}
				want := before
				if tc.mints {
					want++
				}
				if got := issued(t); got != want {
					t.Fatalf("%d credentials recorded, want %d: the replay minted", got-before, want-before)
				}
			})
		}
		t.Run("FailedRequestUsesItUp", func(t *testing.T) {
			a := e.assertion(t, w, "/v1/oauth2/token")
			if resp := postForm("/v1/oauth2/token", tokenForm(a, "admin:everything")); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("widened scope: status %d; body %s", resp.StatusCode, resp.body)
			}
			if resp := postForm("/v1/oauth2/token", tokenForm(a, "")); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("replay after a failed request: status %d, want 401; body %s", resp.StatusCode, resp.body)
			}
		})
		t.Run("ExchangeUsesItUp", func(t *testing.T) {
			resp := e.do(t, request{method: "POST", path: "/v1/svid/jwt", token: e.assertion(t, w, "/v1/svid/jwt"),
				body: map[string]any{"audience": []string{"https://api.example.org"}}})
			var svid jwtSVIDResponse
			resp.decode(t, &svid)
			a := e.assertion(t, w, "/v1/oauth2/token")
			form := url.Values{"grant_type": {issuer.GrantTokenExchange}, "subject_token": {svid.Token},
				"subject_token_type": {issuer.TokenTypeJWT}, "audience": {"https://api.example.org"},
				"client_assertion_type": {issuer.ClientAssertionJWT}, "client_assertion": {a}}.Encode()
			if resp := postForm("/v1/oauth2/token", form); resp.StatusCode != http.StatusOK {
				t.Fatalf("exchange: status %d; body %s", resp.StatusCode, resp.body)
			}
			if resp := postForm("/v1/oauth2/token", form); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("replayed exchange: status %d, want 401; body %s", resp.StatusCode, resp.body)
			}
		})
		t.Run("ConcurrentReplayOneWinner", func(t *testing.T) {
			before := issued(t)
			body := tokenForm(e.assertion(t, w, "/v1/oauth2/token"), "")
			var wg sync.WaitGroup
			codes := make([]int, 6)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = postForm("/v1/oauth2/token", body).StatusCode
				}()
			}
			wg.Wait()
			ok := 0
			for _, c := range codes {
				switch c {
				case http.StatusOK:
					ok++
				case http.StatusUnauthorized:
				default:
					t.Errorf("status %d", c)
				}
			}
			if ok != 1 || issued(t) != before+1 {
				t.Fatalf("statuses %v: %d successes and %d records, want exactly 1", codes, ok, issued(t)-before)
			}
		})
	})
}
