package console_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/console"
)

// sessionCookieOf signs in with the admin token against srv and returns
// the session cookie the answer set.
func sessionCookieOf(t *testing.T, f *fixture, srv *httptest.Server) *http.Cookie {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar, c.Timeout = jar, 10*time.Second
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/ui/login")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"token": {f.tokens[warden.RoleAdmin]}, "nonce": {field(t, string(body), "nonce")}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
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
