package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// The security tests walk the console's whole route table, so that a route
// added without a permission, or a POST that skips the CSRF check, fails
// here without anyone writing a test for it.

// secMarker is in the name of the security tests' identity and in the title
// of its finding: a page that leaks to a request without a session shows it.
const secMarker = "sec-marker-7f3a"

// secWorld is the console with one of each thing a route's path can name,
// so that every route reaches real data.
type secWorld struct {
	*fixture
	identity *warden.Identity
	finding  *warden.Finding
	issuedID string
	version  int64
	// suggestionID is a pending owner suggestion for identity.
	suggestionID string
}

func newSecWorld(t *testing.T) *secWorld {
	t.Helper()
	w := &secWorld{fixture: newFixture(t)}
	ctx := adminCtx()
	w.identity = &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden,
		ExternalID: "spiffe://example.org/" + secMarker, Name: secMarker + "-payments", Purpose: "pays"}
	if err := w.db.CreateIdentity(ctx, w.identity); err != nil {
		t.Fatalf("create identity: %v", err)
	}
	w.finding = &warden.Finding{IdentityID: w.identity.ID, RuleID: "secret-leaked", Subject: "key-1",
		Severity: warden.SeverityHigh, Title: secMarker + " leaked key", Detail: "found in a repository",
		OWASP: []string{"NHI2"}, Remediation: "Rotate it.", Source: "scan"}
	if err := w.db.RaiseFinding(ctx, w.finding); err != nil {
		t.Fatalf("raise finding: %v", err)
	}
	now := time.Now()
	issued := &warden.IssuedCredential{ID: "jti-" + secMarker, Kind: warden.IssuedJWTSVID, IdentityID: w.identity.ID,
		SPIFFEID: w.identity.ExternalID, Attestation: "test", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.db.RecordIssuedCredential(ctx, issued); err != nil {
		t.Fatalf("record issued credential: %v", err)
	}
	w.issuedID = issued.ID
	v := &warden.PolicyVersion{Description: secMarker, Policies: map[string]string{"main.cedar": `permit(principal, action, resource);`}}
	if err := w.db.CreatePolicyVersion(ctx, v); err != nil {
		t.Fatalf("create policy version: %v", err)
	}
	w.version = v.Version
	sug := &warden.OwnerSuggestion{Owner: secMarker + "@example.com", Confidence: 70, Evidence: []warden.OwnerEvidence{{
		Kind: warden.OwnerEvidenceCreator, Confidence: 70, Detail: secMarker + " created the identity", EventID: "ev-" + secMarker, EventSource: "cloudtrail"}}}
	if _, err := w.db.SaveOwnerSuggestions(ctx, w.identity.ID, []*warden.OwnerSuggestion{sug}); err != nil {
		t.Fatalf("save owner suggestion: %v", err)
	}
	w.suggestionID = sug.ID
	return w
}

// secRoute is one entry of the console's route table.
type secRoute struct {
	method, pattern string
}

func (r secRoute) String() string { return r.method + " " + r.pattern }

// routes returns the console's routes; public reports whether a route is
// reachable without a session.
func (w *secWorld) routes(t *testing.T) (all []secRoute, public map[string]bool) {
	t.Helper()
	public = map[string]bool{}
	for _, r := range w.ui.PublicRoutes() {
		public[r] = true
	}
	for _, r := range w.ui.Routes() {
		method, pattern, ok := strings.Cut(r, " ")
		if !ok {
			t.Fatalf("route %q is not METHOD pattern", r)
		}
		all = append(all, secRoute{method, pattern})
	}
	if len(all) < 5 {
		t.Fatalf("the console has only %d routes: %v", len(all), all)
	}
	return all, public
}

// wildcard matches a path wildcard of a ServeMux pattern.
var wildcard = regexp.MustCompile(`\{[^}/]*\}`)

// path turns a route pattern into a real path: each wildcard becomes the
// id of the world's thing of the collection the segment before it names.
// A collection the world does not know gets a made-up id; the session and
// CSRF checks come before the handler looks at it.
func (w *secWorld) path(t *testing.T, pattern string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if seg == "{$}" {
			segs[i] = ""
			continue
		}
		if !wildcard.MatchString(seg) {
			continue
		}
		switch collection := segs[i-1]; collection {
		case "identities":
			segs[i] = w.identity.ID
		case "findings":
			segs[i] = w.finding.ID
		case "issued":
			segs[i] = w.issuedID
		case "policies":
			segs[i] = fmt.Sprint(w.version)
		case "owners":
			segs[i] = w.suggestionID
		default:
			t.Logf("%s: no %s in the security tests' world; using a made-up id", pattern, collection)
			segs[i] = "made-up-id"
		}
	}
	p := strings.Join(segs, "/")
	if strings.HasSuffix(p, "/static/") {
		p += "console.css"
	}
	return p
}

// actionForm is what a confirmed action posts: every field any console
// action reads, filled with valid values, and confirm=yes. Without the
// permission and CSRF checks, posting it changes something.
func actionForm() url.Values {
	return url.Values{
		"confirm":     {"yes"},
		"reason":      {"security test"},
		"until":       {time.Now().AddDate(0, 0, 30).Format("2006-01-02")},
		"owner":       {"team-security-test"},
		"purpose":     {"changed by the security test"},
		"environment": {"prod"},
		"next_review": {time.Now().AddDate(0, 3, 0).Format("2006-01-02")},
	}
}

// state is everything a console action can change in the world, and the
// number of audit records: equal states mean nothing changed.
func (w *secWorld) state(t *testing.T) string {
	t.Helper()
	ctx := adminCtx()
	id, err := w.db.FindIdentityByID(ctx, w.identity.ID)
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.db.FindFindingByID(ctx, w.finding.ID)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := w.db.FindIssuedCredential(ctx, w.issuedID)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("identity owner=%q purpose=%q env=%q status=%s review=%v updated=%v; finding %s %+v; issued revoked=%v; audit records=%d",
		id.Owner, id.Purpose, id.Environment, id.Status, id.NextReviewAt, id.UpdatedAt, f.Status, f.Suppression, iss.RevokedAt, auditCount(t, w.fixture))
}

// auditCount counts the audit log's records.
func auditCount(t *testing.T, f *fixture) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		recs, next, err := f.db.FindAuditRecords(adminCtx(), warden.AuditFilter{Cursor: cursor, Limit: warden.MaxPageSize})
		if err != nil {
			t.Fatalf("audit records: %v", err)
		}
		n += len(recs)
		if next == "" {
			return n
		}
		cursor = next
	}
}

// send makes a request with b's cookies and returns the status, Location
// and body. origin is the Origin header ("" for none).
func (b *browser) send(method, path string, form url.Values, header map[string]string) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp := b.do(req)
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(page)
}

// TestSecurity_OnlySignInAndStaticArePublic pins the list of routes that
// need no session: a new page or action must name a permission.
func TestSecurity_OnlySignInAndStaticArePublic(t *testing.T) {
	w := newSecWorld(t)
	got := w.ui.PublicRoutes()
	slices.Sort(got)
	want := []string{"GET /ui/login", "GET /ui/static/", "POST /ui/login"}
	if !slices.Equal(got, want) {
		t.Fatalf("public routes %v, want exactly %v", got, want)
	}
}

// TestSecurity_NoPageOrFragmentWithoutSession requests every route, and
// URLs under /ui/ that match no route, without a session and with a forged
// or ended one: page loads go to the sign-in page, anything else gets 401,
// no answer shows the world's data, and nothing changes.
func TestSecurity_NoPageOrFragmentWithoutSession(t *testing.T) {
	w := newSecWorld(t)
	routes, public := w.routes(t)
	type target struct{ method, path string }
	var targets []target
	for _, r := range routes {
		if public[r.String()] {
			continue
		}
		targets = append(targets, target{r.method, w.path(t, r.pattern)})
		if r.method == http.MethodGet {
			targets = append(targets, target{http.MethodHead, w.path(t, r.pattern)})
		}
	}
	// Fragment-like and unknown URLs: the catch-all needs a session too.
	for _, p := range []string{
		"/ui/identities/" + w.identity.ID + "/fragment?partial=1",
		"/ui/partials/identities",
		"/ui/findings/" + w.finding.ID + "/rows",
		"/ui/no-such-page",
		"/ui/static-console.css",
	} {
		targets = append(targets, target{http.MethodGet, p}, target{http.MethodPost, p})
	}

	// An ended session: signed in, then signed out.
	ended := w.signIn(t, warden.RoleAdmin)
	var endedCookie string
	for _, c := range ended.c.Jar.Cookies(mustURL(t, w.srv.URL+"/ui/")) {
		if c.Name == "warden_session" {
			endedCookie = c.Value
		}
	}
	if endedCookie == "" {
		t.Fatal("no session cookie after sign-in")
	}
	if resp := ended.post("/ui/logout", url.Values{"csrf": {ended.csrf()}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}

	before := w.state(t)
	sessions := map[string]string{
		"no cookie":      "",
		"forged session": "wds_forgedforgedforgedforgedforgedforgedforged",
		"ended session":  endedCookie,
	}
	for name, cookie := range sessions {
		for _, tg := range targets {
			t.Run(name+"/"+tg.method+" "+tg.path, func(t *testing.T) {
				b := w.browser(t)
				header := map[string]string{"HX-Request": "true", "Origin": w.srv.URL}
				if cookie != "" {
					header["Cookie"] = "warden_session=" + cookie
				}
				var form url.Values
				if tg.method == http.MethodPost {
					form = actionForm()
				}
				status, location, page := b.send(tg.method, tg.path, form, header)
				switch tg.method {
				case http.MethodGet, http.MethodHead:
					want := "/ui/login?next=" + url.QueryEscape(tg.path)
					if status != http.StatusSeeOther || location != want {
						t.Fatalf("status %d to %q, want 303 to %q", status, location, want)
					}
				default:
					if status != http.StatusUnauthorized {
						t.Fatalf("status %d, want 401", status)
					}
				}
				if strings.Contains(page, secMarker) {
					t.Fatalf("the answer shows the world's data:\n%s", page)
				}
			})
		}
	}
	if after := w.state(t); after != before {
		t.Fatalf("requests without a session changed the world:\nbefore %s\nafter  %s", before, after)
	}
}

// TestSecurity_PostWithoutValidCSRFIsRefused posts every action with an
// admin session but a missing, wrong, other session's or URL-only CSRF
// token: each is refused with 403 and nothing changes, and the same post
// with the right token gets past the check.
func TestSecurity_PostWithoutValidCSRFIsRefused(t *testing.T) {
	w := newSecWorld(t)
	routes, public := w.routes(t)
	b := w.signIn(t, warden.RoleAdmin)
	other := w.signIn(t, warden.RoleAdmin)
	mine, theirs := b.csrf(), other.csrf()
	if mine == theirs {
		t.Fatal("two sessions have the same CSRF token")
	}
	cases := []struct {
		name  string
		token string // "" for none
		query bool   // send the right token in the URL instead of the form
	}{
		{"missing", "", false},
		{"wrong", "not-the-token", false},
		{"truncated", mine[:len(mine)-1], false},
		{"other session's", theirs, false},
		{"in the URL only", "", true},
	}
	var posts []secRoute
	for _, r := range routes {
		if r.method == http.MethodPost && !public[r.String()] {
			posts = append(posts, r)
		}
	}
	if len(posts) < 2 {
		t.Fatalf("the console has %d actions: %v", len(posts), posts)
	}
	before := w.state(t)
	for _, r := range posts {
		for _, tc := range cases {
			t.Run(r.String()+"/"+tc.name, func(t *testing.T) {
				form, p := actionForm(), w.path(t, r.pattern)
				if tc.token != "" {
					form.Set("csrf", tc.token)
				}
				if tc.query {
					p += "?csrf=" + url.QueryEscape(mine)
				}
				status, _, page := b.send(http.MethodPost, p, form, map[string]string{"Origin": w.srv.URL})
				if status != http.StatusForbidden || !strings.Contains(page, "security token") {
					t.Fatalf("status %d, want 403 naming the security token:\n%s", status, page)
				}
			})
		}
	}
	if after := w.state(t); after != before {
		t.Fatalf("posts without a valid CSRF token changed the world:\nbefore %s\nafter  %s", before, after)
	}
	if status, _ := b.get("/ui/"); status != http.StatusOK {
		t.Fatalf("a refused sign-out ended the session: GET /ui/ = %d", status)
	}
	w.assertGatePasses(t, posts, warden.RoleAdmin)
}

// TestSecurity_CrossSiteOriginIsRefused posts every action, and the
// sign-in form, with the right tokens but from another site: 403.
func TestSecurity_CrossSiteOriginIsRefused(t *testing.T) {
	w := newSecWorld(t)
	routes, public := w.routes(t)
	b := w.signIn(t, warden.RoleAdmin)
	csrf := b.csrf()
	headers := map[string]map[string]string{
		"cross-site Origin":     {"Origin": "https://evil.example"},
		"same host, other port": {"Origin": "http://127.0.0.1:1"},
		"opaque Origin":         {"Origin": "null"},
		"cross-site Referer":    {"Referer": "https://evil.example/page"},
	}
	var posts []secRoute
	before := w.state(t)
	for _, r := range routes {
		if r.method != http.MethodPost || public[r.String()] {
			continue
		}
		posts = append(posts, r)
		for name, h := range headers {
			t.Run(r.String()+"/"+name, func(t *testing.T) {
				form := actionForm()
				form.Set("csrf", csrf)
				if status, _, page := b.send(http.MethodPost, w.path(t, r.pattern), form, h); status != http.StatusForbidden {
					t.Fatalf("status %d, want 403:\n%s", status, page)
				}
			})
		}
	}
	for name, h := range headers {
		t.Run("POST /ui/login/"+name, func(t *testing.T) {
			nb := w.browser(t)
			_, page := nb.get("/ui/login")
			form := url.Values{"token": {w.tokens[warden.RoleAdmin]}, "nonce": {field(t, page, "nonce")}, "next": {"/ui/"}}
			if status, _, page := nb.send(http.MethodPost, "/ui/login", form, h); status != http.StatusForbidden {
				t.Fatalf("status %d, want 403:\n%s", status, page)
			}
			if status, _ := nb.get("/ui/"); status != http.StatusSeeOther {
				t.Fatalf("a cross-site sign-in opened a session: GET /ui/ = %d", status)
			}
		})
	}
	if after := w.state(t); after != before {
		t.Fatalf("cross-site posts changed the world:\nbefore %s\nafter  %s", before, after)
	}
	if status, _ := b.get("/ui/"); status != http.StatusOK {
		t.Fatalf("a refused cross-site sign-out ended the session: GET /ui/ = %d", status)
	}
	w.assertGatePasses(t, posts, warden.RoleAdmin)
}

// TestSecurity_ReadOnlyRolesCannotChangeAnything posts every action but
// sign-out, confirmed and with a valid CSRF token, as an auditor and as an
// approver (neither may write): 403 each time and nothing changes, while an
// operator's same post gets past the check. Their pages offer no action
// form either.
func TestSecurity_ReadOnlyRolesCannotChangeAnything(t *testing.T) {
	for _, role := range []warden.Role{warden.RoleAuditor, warden.RoleApprover} {
		t.Run(string(role), func(t *testing.T) {
			w := newSecWorld(t)
			routes, public := w.routes(t)
			b := w.signIn(t, role)
			csrf := b.csrf()
			var posts []secRoute
			before := w.state(t)
			for _, r := range routes {
				if r.method != http.MethodPost || public[r.String()] || r.pattern == "/ui/logout" {
					continue
				}
				if answersAccess(r.pattern) && role.Can(warden.PermAccessApprove) {
					continue // approvers answer access requests: TestAccessPages_ApproverAnswersOthersCannot
				}
				if answersOwners(r.pattern) && role.Can(warden.PermReviewAnswer) {
					continue // approvers answer owner suggestions: TestOwnerSuggestions_AnsweredOnTheIdentityPage
				}
				posts = append(posts, r)
				t.Run(r.String(), func(t *testing.T) {
					form := actionForm()
					form.Set("csrf", csrf)
					status, _, page := b.send(http.MethodPost, w.path(t, r.pattern), form, map[string]string{"Origin": w.srv.URL})
					if status != http.StatusForbidden {
						t.Fatalf("status %d, want 403:\n%s", status, page)
					}
				})
			}
			if after := w.state(t); after != before {
				t.Fatalf("a %s changed the world:\nbefore %s\nafter  %s", role, before, after)
			}
			// The pages show no form that posts an action.
			postForm := regexp.MustCompile(`(?is)<form[^>]*method="post"[^>]*>`)
			for _, r := range routes {
				if r.method != http.MethodGet || public[r.String()] {
					continue
				}
				status, page := b.get(w.path(t, r.pattern))
				if status != http.StatusOK {
					continue // a page the role may not read at all
				}
				for _, f := range postForm.FindAllString(page, -1) {
					if !strings.Contains(f, `action="/ui/logout"`) && !(answersAccess(r.pattern) && role.Can(warden.PermAccessApprove)) &&
						!(strings.Contains(f, `action="/ui/owners/`) && role.Can(warden.PermReviewAnswer)) {
						t.Errorf("%s shows a %s an action form: %s", r, role, f)
					}
				}
			}
			w.assertGatePasses(t, posts, warden.RoleOperator)
		})
	}
}

// answersOwners reports whether a console route answers owner
// suggestions, which roles with review:answer (the approver too) may do.
func answersOwners(pattern string) bool { return strings.HasPrefix(pattern, "/ui/owners/") }

// answersAccess reports whether a console route answers access requests,
// which the approver role may do.
func answersAccess(pattern string) bool { return strings.HasPrefix(pattern, "/ui/access/") }

// assertGatePasses is the other half of each refusal test: the same post,
// with a fresh session of a role that may make it and the right CSRF token,
// is not refused (whatever the action then makes of the world's data).
func (w *secWorld) assertGatePasses(t *testing.T, posts []secRoute, role warden.Role) {
	t.Helper()
	for _, r := range posts {
		role := role
		if answersAccess(r.pattern) {
			role = warden.RoleApprover // operators ask for access; approvers answer
		}
		b := w.signIn(t, role)
		form := actionForm()
		form.Set("csrf", b.csrf())
		status, _, page := b.send(http.MethodPost, w.path(t, r.pattern), form, map[string]string{"Origin": w.srv.URL})
		if status == http.StatusForbidden || status == http.StatusUnauthorized {
			t.Errorf("control: %s as %s with the right token got %d, so the refusals above prove nothing:\n%s", r, role, status, page)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
