package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

var (
	controlTag  = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrID      = regexp.MustCompile(`\bid="([^"]+)"`)
	attrType    = regexp.MustCompile(`\btype="([^"]+)"`)
	labelFor    = regexp.MustCompile(`<label\b[^>]*\bfor="([^"]+)"`)
	columnHead  = regexp.MustCompile(`<th\b[^>]*>`)
	inlineStyle = regexp.MustCompile(`\sstyle="`)
	scriptTag   = regexp.MustCompile(`<script\b`)
)

// Every page the console serves is plain, labelled HTML: each visible form
// control has a <label for> (or an aria-label), column headers say their
// scope, and there is neither script nor inline style (the CSP forbids
// both, so either would be a broken page).
func TestPages_AreLabelledAndScriptFree(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	findings, _, err := f.db.FindFindings(adminCtx(), warden.FindingFilter{IdentityID: d.identity.ID})
	if err != nil || len(findings) == 0 {
		t.Fatalf("the detail fixture has no finding: %v", err)
	}
	fid := findings[0].ID
	pages := []string{
		"/ui/", "/ui/identities", "/ui/identities?unowned=1&sort=-risk_score",
		"/ui/identities/" + d.identity.ID, "/ui/identities/" + d.identity.ID + "/edit",
		"/ui/findings", "/ui/findings/" + fid, "/ui/findings/" + fid + "/suppress",
		"/ui/detections", "/ui/decisions", "/ui/policies", "/ui/audit",
		"/ui/access", "/ui/access/" + seedAccess(t, f).ID,
	}
	unowned, _, _ := seedOwnerSuggestions(t, f) // the identity page with its owner suggestions and their answer forms
	pages = append(pages, "/ui/identities/"+unowned.ID)
	admin := f.signIn(t, warden.RoleAdmin)
	// check returns how many visible controls it checked.
	check := func(t *testing.T, path, page string) int {
		checked := 0
		labels := map[string]bool{}
		for _, m := range labelFor.FindAllStringSubmatch(page, -1) {
			labels[m[1]] = true
		}
		for _, tag := range controlTag.FindAllString(page, -1) {
			if typ := attrType.FindStringSubmatch(tag); typ != nil && (typ[1] == "hidden" || typ[1] == "submit") {
				continue
			}
			if strings.Contains(tag, "aria-label=") {
				continue
			}
			checked++
			id := attrID.FindStringSubmatch(tag)
			if id == nil || !labels[id[1]] {
				t.Errorf("%s: form control without a label: %s", path, tag)
			}
		}
		for _, th := range columnHead.FindAllString(page, -1) {
			if !strings.Contains(th, "scope=") {
				t.Errorf("%s: table header without scope: %s", path, th)
			}
		}
		if scriptTag.MatchString(page) || inlineStyle.MatchString(page) {
			t.Errorf("%s: page has a script or an inline style, which the CSP blocks", path)
		}
		if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, `href="#main"`) {
			t.Errorf("%s: page lacks its language or the skip link", path)
		}
		return checked
	}
	for _, path := range pages {
		t.Run(path, func(t *testing.T) {
			status, page := admin.get(path)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if n := check(t, path, page); path == "/ui/identities" && n < 8 {
				t.Fatalf("the identities page has %d visible form controls; its filter form has more", n)
			}
			if path == "/ui/identities/"+unowned.ID && !strings.Contains(page, `action="/ui/owners/`) {
				t.Fatal("the owner suggestions with their answer forms are not on the page checked")
			}
		})
	}
	t.Run("/ui/login", func(t *testing.T) {
		status, page := f.browser(t).get("/ui/login")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if check(t, "/ui/login", page) != 1 {
			t.Fatal("the sign-in page's token input was not checked")
		}
	})
}
