package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestRoutes_RequireAuthentication(t *testing.T) {
	e := newTestEnv(t)
	var public []string
	for _, rt := range e.srv.Routes() {
		if rt.Permission == "" {
			public = append(public, rt.Method+" "+rt.Pattern)
			continue
		}
		if rt.Permission == workloadAuth {
			continue // TestRoutes_WorkloadRoutesRequireAttestation
		}
		path := concrete(rt.Pattern, "x")
		for _, tc := range []struct {
			name   string
			header string
		}{
			{"NoToken", ""},
			{"GarbageToken", "Bearer garbage"},
			{"WellFormedUnknownToken", "Bearer wdn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
			{"RevokedToken", "Bearer " + e.revoked},
			{"BasicScheme", "Basic " + e.tokens[warden.RoleAdmin]},
			{"NoScheme", e.tokens[warden.RoleAdmin]},
			{"EmptyBearer", "Bearer "},
			{"OversizeToken", "Bearer wdn_" + strings.Repeat("A", 600)},
		} {
			t.Run(rt.Method+" "+rt.Pattern+"/"+tc.name, func(t *testing.T) {
				req := request{method: rt.Method, path: path, body: "{}", header: http.Header{}}
				if tc.header != "" {
					req.header.Set("Authorization", tc.header)
				}
				resp := e.do(t, req)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401; body %s", resp.StatusCode, resp.body)
				}
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer challenge", got)
				}
				if p := resp.problem(t); p.Code != warden.EUNAUTHORIZED {
					t.Errorf("code = %q, want %q", p.Code, warden.EUNAUTHORIZED)
				}
			})
		}
	}
	// DESIGN.md: only health, readiness, OIDC discovery, the JWKS and the
	// SPIFFE bundle are public, and the CRL, which is public by design
	// (RFC 5280 distribution points are fetched without credentials).
	want := []string{"GET /healthz", "GET /readyz", "GET /.well-known/openid-configuration", "GET /.well-known/jwks.json", "GET /v1/bundle", "GET /v1/crl"}
	if !slices.Equal(public, want) {
		t.Fatalf("public routes = %q, want exactly %q", public, want)
	}
	for _, path := range []string{"/healthz", "/readyz", "/.well-known/openid-configuration", "/.well-known/jwks.json", "/v1/bundle", "/v1/crl"} {
		if resp := e.do(t, request{method: "GET", path: path}); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: status %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestRoutes_TwoAuthorizationHeadersAreRejected(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do(t, request{method: "GET", path: "/v1/whoami", header: http.Header{
		"Authorization": {"Bearer " + e.tokens[warden.RoleAdmin], "Bearer " + e.tokens[warden.RoleAuditor]},
	}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

func TestRoutes_EnforceRoles(t *testing.T) {
	e := newTestEnv(t)
	for _, rt := range e.srv.Routes() {
		if rt.Permission == "" || rt.Permission == workloadAuth {
			continue
		}
		for _, role := range warden.Roles {
			t.Run(rt.Method+" "+rt.Pattern+"/"+string(role), func(t *testing.T) {
				resp := e.do(t, request{method: rt.Method, path: concrete(rt.Pattern, "x"), token: e.tokens[role], body: "{}"})
				if role.Can(rt.Permission) {
					if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
						t.Fatalf("role %s has %s but got status %d; body %s", role, rt.Permission, resp.StatusCode, resp.body)
					}
					if resp.StatusCode >= 500 {
						t.Fatalf("status %d; body %s", resp.StatusCode, resp.body)
					}
					return
				}
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("role %s lacks %s but got status %d, want 403; body %s", role, rt.Permission, resp.StatusCode, resp.body)
				}
				if p := resp.problem(t); p.Code != warden.EFORBIDDEN {
					t.Errorf("code = %q, want %q", p.Code, warden.EFORBIDDEN)
				}
			})
		}
	}
}

func TestRoutes_TableIsWellFormed(t *testing.T) {
	e := newTestEnv(t)
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("route %s is listed twice", key)
		}
		seen[key] = true
		if !slices.Contains([]string{"GET", "POST", "PATCH", "DELETE"}, rt.Method) {
			t.Errorf("route %s: unexpected method", key)
		}
		if rt.Permission != "" && rt.Permission != workloadAuth && rt.Permission != workloadToken && !slices.Contains(allPermissions, rt.Permission) {
			t.Errorf("route %s: unknown permission %q", key, rt.Permission)
		}
		if rt.handler == nil {
			t.Errorf("route %s has no handler", key)
		}
	}
}

func TestUnrouted_AnswersProblems(t *testing.T) {
	e := newTestEnv(t)
	admin := e.tokens[warden.RoleAdmin]
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		token       string
		wantStatus  int
		wantCode    string
		wantAllowed string
	}{
		{"UnknownPath", "GET", "/v1/nothing", admin, 404, warden.ENOTFOUND, ""},
		{"UnknownPathNoToken", "GET", "/v2/identities", "", 404, warden.ENOTFOUND, ""},
		{"Root", "GET", "/", "", 404, warden.ENOTFOUND, ""},
		{"TrailingSlash", "GET", "/v1/identities/", admin, 404, warden.ENOTFOUND, ""},
		{"UnescapedARN", "GET", "/v1/identities/arn:aws:iam::1:role/a/b", admin, 404, warden.ENOTFOUND, ""},
		{"DeleteIdentities", "DELETE", "/v1/identities", admin, 405, codeMethodNotAllowed, "GET, HEAD, POST"},
		{"PutIdentity", "PUT", "/v1/identities/x", admin, 405, codeMethodNotAllowed, "GET, HEAD, PATCH"},
		{"PostHealthz", "POST", "/healthz", "", 405, codeMethodNotAllowed, "GET, HEAD"},
		{"GetToken", "GET", "/v1/tokens/x", admin, 405, codeMethodNotAllowed, "DELETE"},
		{"OddMethod", "BREW", "/v1/identities", admin, 405, codeMethodNotAllowed, "GET, HEAD, POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, request{method: tc.method, path: tc.path, token: tc.token})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, resp.body)
			}
			p := resp.problem(t)
			if p.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", p.Code, tc.wantCode)
			}
			if strings.HasPrefix(tc.path, "/v1/identities/") && tc.wantStatus == 404 && !strings.Contains(p.Detail, "%2F") {
				t.Errorf("detail %q lacks the escaping hint", p.Detail)
			}
			if got := resp.Header.Get("Allow"); got != tc.wantAllowed {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllowed)
			}
		})
	}
}

func TestSecurityHeaders_OnEveryResponse(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		name        string
		req         request
		contentType string
	}{
		{"Healthz", request{method: "GET", path: "/healthz"}, "application/json"},
		{"Unauthorized", request{method: "GET", path: "/v1/identities"}, "application/problem+json"},
		{"List", request{method: "GET", path: "/v1/identities", token: e.tokens[warden.RoleAuditor]}, "application/json"},
		{"NotFound", request{method: "GET", path: "/nope"}, "application/problem+json"},
		{"Metrics", request{method: "GET", path: "/metrics", token: e.tokens[warden.RoleAuditor]}, "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.req)
			for header, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "no-store",
				"X-Frame-Options":        "DENY",
			} {
				if got := resp.Header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", got, tc.contentType)
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do(t, request{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ready: status %d", resp.StatusCode)
	}

	t.Run("NotReady", func(t *testing.T) {
		srv := New(Config{
			Identities: e.db, Credentials: e.db, Tokens: e.db, Audit: e.db,
			Ready: func(context.Context) error { return errors.New("dial tcp 10.0.0.1:5432: secret-host unreachable") },
		})
		rec := httptestRecord(srv, "GET", "/readyz")
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", rec.Code)
		}
		if strings.Contains(rec.Body.String(), "secret-host") {
			t.Errorf("readiness error leaked to the caller: %s", rec.Body)
		}
	})
}

func TestWhoami(t *testing.T) {
	e := newTestEnv(t)
	for _, role := range []warden.Role{warden.RoleAuditor, warden.RoleAdmin} {
		var got whoami
		resp := e.do(t, request{method: "GET", path: "/v1/whoami", token: e.tokens[role]})
		resp.decode(t, &got)
		if got.Role != role || got.Name != "test-"+string(role) || got.ID == "" {
			t.Errorf("whoami = %+v", got)
		}
		for _, p := range allPermissions {
			if role.Can(p) != slices.Contains(got.Permissions, p) {
				t.Errorf("role %s: permissions %v disagree with Role.Can on %s", role, got.Permissions, p)
			}
		}
	}
}
