package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/console"
)

// sessionCookieOf signs in with the admin token against srv and returns
// the session cookie the answer set.
func sessionCookieOf(t *testing.T, f *fixture, srv *httptest.Server) *http.Cookie {
	t.Helper()
	b := browserOn(t, srv)
	_, page := b.get("/ui/login")
	resp := b.post("/ui/login", url.Values{"token": {f.tokens[warden.RoleAdmin]}, "nonce": {field(t, page, "nonce")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "warden_session" {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestSessionCookie_SecureOverTLSOrWhenConfigured(t *testing.T) {
	f := newFixture(t)
	cfg := func(secure bool) console.Config {
		return console.Config{Identities: f.db, Inventory: f.db, Sessions: f.db, Posture: f.db, SecureCookies: secure}
	}
	cases := map[string]struct {
		srv        *httptest.Server
		wantSecure bool
	}{
		"plain HTTP":                  {httptest.NewServer(console.New(cfg(false))), false},
		"TLS":                         {httptest.NewTLSServer(console.New(cfg(false))), true},
		"plain HTTP behind TLS proxy": {httptest.NewServer(console.New(cfg(true))), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			defer tc.srv.Close()
			ck := sessionCookieOf(t, f, tc.srv)
			if ck.Secure != tc.wantSecure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Fatalf("cookie %+v: Secure %v, want %v (and HttpOnly, SameSite=Strict)", ck, ck.Secure, tc.wantSecure)
			}
		})
	}
}
