package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestSignIn_SetsHardenedSessionCookieAndShowsOverview(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	_, page := b.get("/ui/login")
	resp := b.post("/ui/login", url.Values{"token": {f.tokens[warden.RoleOperator]}, "nonce": {field(t, page, "nonce")}, "next": {"/ui/identities"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/identities" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "warden_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui/" {
		t.Fatalf("session cookie %+v", session)
	}
	if strings.Contains(session.Value, f.tokens[warden.RoleOperator]) || !strings.HasPrefix(session.Value, "wds_") {
		t.Fatalf("the cookie must hold a session secret, not the token: %q", session.Value)
	}
	status, body := b.get("/ui/")
	if status != http.StatusOK || !strings.Contains(body, "console-operator") || !strings.Contains(body, `id="overview-counts"`) {
		t.Fatalf("overview: %d\n%s", status, body)
	}
}

func TestSignIn_Refused(t *testing.T) {
	f := newFixture(t)
	cases := map[string]struct {
		token     string
		nonce     func(page string) string
		wantCode  int
		wantInMsg string
	}{
		"wrong token":   {"wdn_notarealtokennotarealtokennotarealtoken0", func(p string) string { return field(t, p, "nonce") }, http.StatusUnauthorized, "not valid"},
		"empty token":   {"", func(p string) string { return field(t, p, "nonce") }, http.StatusBadRequest, "Enter an API token"},
		"missing nonce": {f.tokens[warden.RoleAdmin], func(string) string { return "" }, http.StatusForbidden, "expired"},
		"forged nonce":  {f.tokens[warden.RoleAdmin], func(string) string { return "forged" }, http.StatusForbidden, "expired"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := f.browser(t)
			_, page := b.get("/ui/login")
			status, body := b.postPage("/ui/login", url.Values{"token": {tc.token}, "nonce": {tc.nonce(page)}})
			if status != tc.wantCode || !strings.Contains(body, tc.wantInMsg) {
				t.Fatalf("status %d, want %d; body:\n%s", status, tc.wantCode, body)
			}
			if status, _ := b.get("/ui/"); status != http.StatusSeeOther {
				t.Fatalf("a refused sign-in opened a session: GET /ui/ = %d", status)
			}
		})
	}
}

func TestSignOut_EndsSession(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	csrf := b.csrf()
	if resp := b.post("/ui/logout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if status, _ := b.get("/ui/"); status != http.StatusSeeOther {
		t.Fatalf("after logout GET /ui/ = %d, want a redirect to sign in", status)
	}
}

func TestSession_EndsWhenTokenRevoked(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	if status, _ := b.get("/ui/"); status != http.StatusOK {
		t.Fatalf("signed in: %d", status)
	}
	toks, _ := f.db.FindTokens(adminCtx())
	for _, tok := range toks {
		if tok.Role == warden.RoleAuditor {
			if _, err := f.db.RevokeToken(adminCtx(), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if status, _ := b.get("/ui/"); status != http.StatusSeeOther {
		t.Fatalf("after revoking the token GET /ui/ = %d, want a redirect to sign in", status)
	}
}

func TestPages_SendStrictSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAdmin)
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/ui/", nil)
	resp := b.do(req)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("headers %v", resp.Header)
	}
}
