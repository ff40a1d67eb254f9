package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/console"
	"github.com/warden-nhi/warden/owners"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// fixture is a console served over real HTTP on loopback, backed by a
// real SQLite store, with one API token per role.
type fixture struct {
	db     *store.DB
	srv    *httptest.Server
	ui     *console.Server
	tokens map[warden.Role]string // role -> token secret
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := storetest.OpenSQLite(t)
	return newFixtureOn(t, db)
}

func newFixtureOn(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	ui := console.New(console.Config{
		Identities: db, Inventory: db, Credentials: db, Grants: db, Sessions: db,
		Findings: db, Posture: db, Events: db, Detections: db, Decisions: db,
		Policies: db, Audit: db, Issued: db,
		Access: access.New(access.Config{Store: db, Identities: db, Events: db, Detections: db}),
		Owners: newOwnerService(t, db),
	})
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	f := &fixture{db: db, srv: srv, ui: ui, tokens: map[warden.Role]string{}}
	for _, role := range warden.Roles {
		_, secret, err := db.CreateToken(adminCtx(), "console-"+string(role), role)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = secret
	}
	return f
}

func newOwnerService(t testing.TB, db *store.DB) warden.OwnerService {
	t.Helper()
	svc, err := owners.New(owners.Config{Store: db, Identities: db, Provenance: db, Events: db, Grants: db})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func adminCtx() context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "cli", ID: "test", Role: warden.RoleAdmin})
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (f *fixture) browser(t testing.TB) *browser { return browserOn(t, f.srv) }

// browserOn is a browser for srv, plain or TLS.
func browserOn(t testing.TB, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := *srv.Client() // a copy: srv.Client() is one client shared by every caller
	c.Jar, c.Timeout = jar, 10*time.Second
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: srv.URL, c: &c}
}

// signIn opens a session with the role's token and returns the browser.
func (f *fixture) signIn(t testing.TB, role warden.Role) *browser {
	t.Helper()
	b := f.browser(t)
	_, page := b.get("/ui/login")
	resp := b.post("/ui/login", url.Values{"token": {f.tokens[role]}, "nonce": {field(t, page, "nonce")}, "next": {"/ui/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", role, resp.StatusCode)
	}
	return b
}

func (b *browser) do(req *http.Request) *http.Response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

// get fetches a page and returns its status and body.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	resp := b.do(req)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post submits a form as a browser would, with Origin set to the server.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp := b.do(req)
	resp.Body.Close()
	return resp
}

// postPage submits a form and returns the status and body of the answer.
func (b *browser) postPage(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp := b.do(req)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// csrf returns the CSRF token embedded in the console's pages.
func (b *browser) csrf() string {
	b.t.Helper()
	_, page := b.get("/ui/")
	return field(b.t, page, "csrf")
}

// field returns the value of the first hidden input with the name.
func field(t testing.TB, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s field in page:\n%s", name, page)
	}
	return m[1]
}
