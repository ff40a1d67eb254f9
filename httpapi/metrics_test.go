package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestMetrics_CountRequestsByRoute(t *testing.T) {
	e := newTestEnv(t)
	for range 3 {
		e.do(t, request{method: "GET", path: "/v1/identities/nope", token: e.tokens[warden.RoleAuditor]})
	}
	e.do(t, request{method: "GET", path: "/no/such/route/123"})

	if got := e.counter(t, "warden_http_requests_total", map[string]string{"route": "/v1/identities/{ref}", "method": "GET", "code": "404"}); got != 3 {
		t.Errorf("404s on /v1/identities/{ref} = %v, want 3", got)
	}
	if got := e.counter(t, "warden_http_requests_total", map[string]string{"route": unmatchedRoute, "code": "404"}); got != 1 {
		t.Errorf("unmatched 404s = %v, want 1", got)
	}
	resp := e.do(t, request{method: "GET", path: "/metrics", token: e.tokens[warden.RoleOperator]})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	body := string(resp.body)
	for _, want := range []string{
		`warden_http_requests_total{code="404",method="GET",route="/v1/identities/{ref}"} 3`,
		`warden_http_request_duration_seconds_bucket{code="404",method="GET",route="/v1/identities/{ref}"`,
		`warden_http_panics_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Path values never become labels.
	if strings.Contains(body, "nope") || strings.Contains(body, "/no/such/route") {
		t.Error("metrics carry request paths")
	}
}

func TestMetrics_TwoServersShareARegistry(t *testing.T) {
	e := newTestEnv(t)
	// A second server on the same registry reuses the collectors instead of
	// panicking on duplicate registration.
	srv := New(Config{Identities: e.db, Credentials: e.db, Tokens: e.db, Audit: e.db, Registry: e.registry})
	httptestRecord(srv, "GET", "/healthz")
	if got := e.counter(t, "warden_http_requests_total", map[string]string{"route": "/healthz"}); got != 1 {
		t.Errorf("healthz count = %v, want 1", got)
	}
}

func TestRecover_PanicBecomes500Problem(t *testing.T) {
	e := newTestEnv(t)
	h := e.srv.instrument("panic", e.srv.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	rec := httptestRecord(h, "GET", "/x")
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("panic value leaked: %s", rec.Body)
	}
	if got := e.counter(t, "warden_http_panics_total", nil); got != 1 {
		t.Errorf("panics = %v, want 1", got)
	}
	if !strings.Contains(e.logs.String(), "boom") {
		t.Error("panic was not logged")
	}
}

func TestLogs_NeverContainTokensOrBodies(t *testing.T) {
	e := newTestEnv(t)
	const marker = "body-marker-7f3a"
	e.do(t, request{method: "POST", path: "/v1/identities", token: e.tokens[warden.RoleAdmin], body: `{"kind":"bot","provider":"x","external_id":"` + marker + `","name":"n","secret":"` + marker + `"}`})
	e.do(t, request{method: "GET", path: "/v1/whoami", token: e.revoked})
	e.do(t, request{method: "GET", path: "/v1/whoami", token: e.tokens[warden.RoleAuditor]})
	logs := e.logs.String()
	if !strings.Contains(logs, "actor=token:") {
		t.Fatalf("access log does not name the actor:\n%s", logs)
	}
	for _, secret := range append([]string{e.revoked, marker, "Bearer"}, mapValues(e.tokens)...) {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func mapValues[K comparable, V any](m map[K]V) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
