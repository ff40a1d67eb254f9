package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// listPages are the console pages whose query strings are parsed into
// filters, sort orders and cursors.
var listPages = []string{"/ui/identities", "/ui/findings", "/ui/detections", "/ui/decisions", "/ui/audit", "/ui/", "/ui/access"}

// FuzzListQueries sends arbitrary query strings to every list page: each
// must answer a page (200), or a page naming what is wrong (400, 404),
// never a 500 or a panic.
func FuzzListQueries(f *testing.F) {
	f.Add(uint8(0), "q=ledger&kind=cloud_role&sort=-risk_score")
	f.Add(uint8(0), "unowned=1&owner=team-a")
	f.Add(uint8(1), "severity=critical&owasp=NHI7&status=open")
	f.Add(uint8(2), "since=2026-13-45&severity=extreme")
	f.Add(uint8(3), "decision=maybe&identity=%00")
	f.Add(uint8(4), "order=oldest&cursor=!!!&target_id="+strings.Repeat("x", 2000))
	f.Add(uint8(6), "status=maybe&needs_review=1&cursor=%ff")
	fx := newFixture(f)
	seedDetail(f, fx)
	admin := fx.signIn(f, warden.RoleAdmin)
	f.Fuzz(func(t *testing.T, page uint8, query string) {
		u, err := url.Parse(fx.srv.URL + listPages[int(page)%len(listPages)] + "?" + query)
		if err != nil {
			t.Skip("not a URL a browser would send")
		}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			t.Skip("not a request a browser would send")
		}
		admin.t = t
		resp := admin.do(req)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("GET %s: status %d", u, resp.StatusCode)
		}
	})
}

// FuzzIdentityEditForm posts arbitrary owner, purpose, environment and
// review-date values through the edit form's confirmation: the answer is a
// confirmation, a redirect after saving, or a 400 naming the field, and
// the identity stays readable and valid whatever was sent.
func FuzzIdentityEditForm(f *testing.F) {
	f.Add("team-payments", "charges cards", "prod", "2027-01-31")
	f.Add("", "", "", "")
	f.Add("alice@example.com", strings.Repeat("p", 2000), "Prod", "31/01/2027")
	f.Add("team\x00x", "line\nbreak", "staging", "2027-02-30")
	fx := newFixture(f)
	d := seedDetail(f, fx)
	operator := fx.signIn(f, warden.RoleOperator)
	csrf := operator.csrf()
	path := "/ui/identities/" + d.identity.ID + "/edit"
	f.Fuzz(func(t *testing.T, owner, purpose, env, review string) {
		operator.t = t
		form := url.Values{"csrf": {csrf}, "owner": {owner}, "purpose": {purpose}, "environment": {env}, "next_review": {review}}
		for _, confirm := range []string{"", "yes"} {
			if confirm != "" {
				form.Set("confirm", confirm)
			}
			resp := operator.post(path, form)
			switch resp.StatusCode {
			case http.StatusOK, http.StatusSeeOther, http.StatusBadRequest:
			default:
				t.Fatalf("POST edit (confirm=%q): status %d", confirm, resp.StatusCode)
			}
		}
		got, err := fx.db.FindIdentityByID(adminCtx(), d.identity.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("the identity is no longer valid after the edit: %v", err)
		}
	})
}
