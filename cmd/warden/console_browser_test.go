package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console's browser tests drive the web console of a real
// "warden serve --demo" process with headless Chromium, and check every
// step on the rendered page (by the element ids of the console's UI
// contract) and, where a change was made, through the API as well.

// chromiumPath is where Debian's chromium package installs the browser;
// .ci/run installs it there when it is missing.
const chromiumPath = "/usr/bin/chromium"

// browserTestTimeout bounds each browser test as a whole; stepTimeout bounds
// each wait for an element, so that a missing element fails fast and names
// its selector.
const (
	browserTestTimeout = 3 * time.Minute
	stepTimeout        = 20 * time.Second
)

// consoleTab is one headless Chromium tab on a demo server's console.
type consoleTab struct {
	t     *testing.T
	ctx   context.Context
	base  string // the server's URL, http://127.0.0.1:PORT
	token string // the server's first admin token
}

// newConsoleTab starts "warden serve --demo" on a temporary database and a
// fresh headless Chromium. Without Chromium the test skips, except under
// CI=true, where it fails.
func newConsoleTab(t *testing.T) *consoleTab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is missing at %s (%v): CI=true requires the console's browser tests to run; .ci/run installs Debian's chromium package", chromiumPath, err)
		}
		t.Skipf("skipping the console's browser test: Chromium is not installed at %s (apt-get install chromium; under CI=true this test must run)", chromiumPath)
	}
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin.token")
	srv := startServer(t, filepath.Join(dir, "warden.db"), tokenFile, "--demo")

	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc) // runs before the TempDir removal: Chromium has exited by then
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		t.Logf("chromedp: "+format, args...)
	}))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tabCtx); err != nil { // start the browser now, so a failure to start is named
		t.Fatalf("start headless Chromium: %v", err)
	}
	return &consoleTab{t: t, ctx: tabCtx, base: srv.url, token: readToken(t, tokenFile)}
}

// step runs actions that return nothing, each wait bounded by stepTimeout.
func (c *consoleTab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v (page %s)", what, err, c.location())
	}
}

// open loads a console path and waits for the element sel.
func (c *consoleTab) open(path, sel string) {
	c.t.Helper()
	c.step("open "+path, chromedp.Navigate(c.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// submit clicks sel (a submit button or a link), waits for the page it
// leads to, and fails unless that page answered with HTTP 200.
func (c *consoleTab) submit(sel string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("click %s: %v (page %s)", sel, err, c.location())
	}
	if resp.Status != http.StatusOK {
		c.t.Fatalf("click %s led to %s with HTTP %d:\n%s", sel, resp.URL, resp.Status, c.mainText())
	}
}

// text returns the visible text of the first element matching sel.
func (c *consoleTab) text(sel string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("read %s: %v (page %s)", sel, err, c.location())
	}
	return strings.TrimSpace(s)
}

// eval evaluates a DOM expression in the page. DevTools evaluation is not
// page script, so the console's script-free CSP does not apply to it.
func evalIn[T any](c *consoleTab, expr string) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		c.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// rowIDs returns the data-id of every row of the table with the id.
func (c *consoleTab) rowIDs(table string) []string {
	c.t.Helper()
	return evalIn[[]string](c, `Array.from(document.querySelectorAll("#`+table+` tr[data-id]"), r => r.dataset.id)`)
}

// exists reports whether an element matches sel right now.
func (c *consoleTab) exists(sel string) bool {
	c.t.Helper()
	return evalIn[bool](c, `document.querySelector(`+jsString(sel)+`) !== null`)
}

func (c *consoleTab) location() string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return loc
}

// mainText is the text of the page's <main>, for failure messages.
func (c *consoleTab) mainText() string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// signIn signs in through the console's form with the admin token, starting
// from path (which, without a session, redirects to the sign-in page and
// back after it), and waits for wantSel on the page it returns to.
func (c *consoleTab) signIn(path, wantSel string) {
	c.t.Helper()
	c.open(path, "#token")
	if loc := c.location(); !strings.HasPrefix(loc, c.base+"/ui/login?next=") {
		c.t.Fatalf("without a session %s went to %s, want the sign-in page", path, loc)
	}
	c.step("type the token", chromedp.SendKeys(chromedp.CSS("#token"), c.token))
	c.submit(`#signin button[type="submit"]`)
	c.step("wait for "+wantSel, chromedp.WaitVisible(chromedp.CSS(wantSel)))
	if loc := c.location(); loc != c.base+path {
		c.t.Fatalf("after sign-in the console is at %s, want %s", loc, c.base+path)
	}
}

// confirm submits a form with sel, checks that the confirmation page
// summarises the change (naming want, when given), and confirms.
func (c *consoleTab) confirm(sel, want string) {
	c.t.Helper()
	c.submit(sel)
	c.step("wait for the confirmation", chromedp.WaitVisible(chromedp.CSS("#confirm-form")))
	summary := c.text("#confirm-summary")
	if summary == "" || !strings.Contains(summary, want) {
		c.t.Fatalf("the confirmation summary does not describe the change (want %q):\n%s", want, summary)
	}
	c.submit("#confirm")
}

// api calls warden's API with the admin token and decodes the answer.
func (c *consoleTab) api(path string, out any) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		c.t.Fatalf("GET %s: decode: %v", path, err)
	}
}

// apiIdentity is what these tests read of an identity from the API.
type apiIdentity struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Owner  string `json:"owner"`
	Status string `json:"status"`
}

// apiIdentities lists every identity matching the query through the API.
func (c *consoleTab) apiIdentities(query url.Values) []apiIdentity {
	c.t.Helper()
	var all []apiIdentity
	query.Set("limit", "500")
	for {
		var page struct {
			Items      []apiIdentity `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		c.api("/v1/identities?"+query.Encode(), &page)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		query.Set("cursor", page.NextCursor)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// artifactsDir is where browser tests leave files for people to look at:
// $WARDEN_ARTIFACTS, or testdata/artifacts beside this package (ignored by
// git), so that CI finds the overview screenshot at
// cmd/warden/testdata/artifacts/overview.png.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARDEN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artefacts directory: %v", err)
	}
	return dir
}

// TestConsoleBrowser_SignInShowsOverviewAndSavesScreenshot signs in through
// the form (after a refused wrong token), checks the overview's counts
// against the API, and saves a full-page PNG of the overview with the demo
// data as a test artefact.
func TestConsoleBrowser_SignInShowsOverviewAndSavesScreenshot(t *testing.T) {
	c := newConsoleTab(t)

	c.open("/ui/", "#token")
	c.step("type a wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "wdn_thisisnotatokenthisisnotatokenthisisnot0"))
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)))
	cancel()
	if err != nil || resp.Status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %v, HTTP %v; want the sign-in page again with 401", err, resp)
	}
	if msg := c.text("#signin-error"); !strings.Contains(msg, "not valid") {
		t.Fatalf("wrong-token message %q", msg)
	}

	c.signIn("/ui/", "#overview-counts")
	if who := c.text("#who"); !strings.Contains(who, "admin") {
		t.Fatalf("signed-in user shown as %q, want the admin role", who)
	}
	all := c.apiIdentities(url.Values{})
	if len(all) < 150 {
		t.Fatalf("the demo inventory has %d identities, want about 200", len(all))
	}
	if total := c.text("#count-total"); total != fmt.Sprint(len(all)) {
		t.Fatalf("overview shows %s identities, the API lists %d", total, len(all))
	}
	unowned := c.apiIdentities(url.Values{"unowned": {"true"}})
	if n := c.text("#count-unowned"); n != fmt.Sprint(len(unowned)) {
		t.Fatalf("overview shows %s unowned identities, the API lists %d", n, len(unowned))
	}
	if !c.exists("#count-open-findings") || c.text("#count-open-findings") == "0" {
		t.Fatalf("the overview shows no open findings after the demo's evaluation:\n%s", c.mainText())
	}
	for _, chart := range []string{"#trend-findings", "#trend-risk"} {
		if !c.exists(chart) {
			t.Fatalf("the overview has no %s chart", chart)
		}
	}

	ctx, cancel = context.WithTimeout(c.ctx, stepTimeout)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	cancel()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 600 {
		t.Fatalf("the screenshot is %dx%d, want the whole page at 1280 wide", b.Dx(), b.Dy())
	}
	path := filepath.Join(artifactsDir(t), "overview.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatalf("save the screenshot: %v", err)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("overview screenshot (%dx%d): %s", img.Bounds().Dx(), img.Bounds().Dy(), abs)
}

// TestConsoleBrowser_FilterIdentities filters the identities table by kind
// and by search text through the filter form, and checks that the rows are
// exactly the identities the API returns for the same filter.
func TestConsoleBrowser_FilterIdentities(t *testing.T) {
	c := newConsoleTab(t)
	c.signIn("/ui/identities", "#identities")
	unfiltered := c.rowIDs("identities")
	if len(unfiltered) == 0 {
		t.Fatalf("the identities page shows no rows:\n%s", c.mainText())
	}

	// The rarest kind of the demo inventory fits on one page.
	byKind := map[string][]string{}
	for _, id := range c.apiIdentities(url.Values{}) {
		byKind[id.Kind] = append(byKind[id.Kind], id.ID)
	}
	kind := ""
	for k, ids := range byKind {
		if kind == "" || len(ids) < len(byKind[kind]) || (len(ids) == len(byKind[kind]) && k < kind) {
			kind = k
		}
	}
	if len(byKind) < 2 {
		t.Fatalf("the demo inventory has %d kinds, want several", len(byKind))
	}
	c.step("choose kind "+kind, chromedp.SetValue(chromedp.CSS(`#identity-filters select[name="kind"]`), kind))
	c.submit("#apply-filters")
	if loc := c.location(); !strings.Contains(loc, "kind="+kind) {
		t.Fatalf("the filter form went to %s, want kind=%s in the URL", loc, kind)
	}
	t.Logf("kind=%s: %d identities", kind, len(byKind[kind]))
	assertSameIDs(t, "kind="+kind, c.rowIDs("identities"), byKind[kind])
	if s := c.text("#result-summary"); !strings.Contains(s, fmt.Sprint(len(byKind[kind]))) {
		t.Fatalf("result summary %q does not say %d", s, len(byKind[kind]))
	}

	// Search for the name of an identity on the unfiltered page.
	c.open("/ui/identities", "#identities")
	name := c.text(`#identities tr[data-id] a.identity-link`)
	want := c.apiIdentities(url.Values{"q": {name}})
	c.step("type the search "+name, chromedp.SendKeys(chromedp.CSS(`#identity-filters input[name="q"]`), name))
	c.submit("#apply-filters")
	var wantIDs []string
	for _, id := range want {
		wantIDs = append(wantIDs, id.ID)
	}
	t.Logf("q=%s: %d identities", name, len(wantIDs))
	assertSameIDs(t, "q="+name, c.rowIDs("identities"), wantIDs)
	if len(wantIDs) >= len(unfiltered) {
		t.Fatalf("searching for %q matched %d identities, no fewer than the unfiltered page (%d)", name, len(wantIDs), len(unfiltered))
	}
}

func assertSameIDs(t *testing.T, filter string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("%s: the console shows %d rows %v, the API lists %d %v", filter, len(got), got, len(want), want)
	}
}

// TestConsoleBrowser_OpenIdentityAndAssignOwner opens an unowned identity
// from the list, assigns an owner through the edit form and its
// confirmation, and sees the owner on the detail page and in the API.
func TestConsoleBrowser_OpenIdentityAndAssignOwner(t *testing.T) {
	c := newConsoleTab(t)
	c.signIn("/ui/identities?unowned=1", "#identities")
	id := evalIn[string](c, `document.querySelector("#identities tr[data-id]").dataset.id`)
	name := c.text(`#identities tr[data-id="` + id + `"] a.identity-link`)

	c.submit(`#identities tr[data-id="` + id + `"] a.identity-link`)
	if loc := c.location(); loc != c.base+"/ui/identities/"+id {
		t.Fatalf("the identity link went to %s", loc)
	}
	if got := c.text("#identity-name"); got != name {
		t.Fatalf("detail page heading %q, want %q", got, name)
	}
	if got := c.text("#identity-owner"); got != "none" {
		t.Fatalf("an unowned identity shows owner %q, want none", got)
	}

	const owner = "team-browser-test"
	c.submit("#edit-identity")
	c.step("type the owner",
		chromedp.Clear(chromedp.CSS(`#edit-identity-form input[name="owner"]`)),
		chromedp.SendKeys(chromedp.CSS(`#edit-identity-form input[name="owner"]`), owner))
	c.confirm("#save-identity", owner)
	if loc := c.location(); !strings.HasPrefix(loc, c.base+"/ui/identities/"+id) || !strings.Contains(loc, "done=") {
		t.Fatalf("after saving, the console is at %s, want the identity page with a confirmation", loc)
	}
	c.text("#flash")
	if got := c.text("#identity-owner"); got != owner {
		t.Fatalf("the detail page shows owner %q after saving %q", got, owner)
	}
	var stored apiIdentity
	c.api("/v1/identities/"+id, &stored)
	if stored.Owner != owner {
		t.Fatalf("the API has owner %q, want %q", stored.Owner, owner)
	}
}

// TestConsoleBrowser_QuarantineIdentity quarantines an active identity with
// a reason and the confirmation, and sees #identity-status change.
func TestConsoleBrowser_QuarantineIdentity(t *testing.T) {
	c := newConsoleTab(t)
	c.signIn("/ui/identities?status=active", "#identities")
	id := evalIn[string](c, `document.querySelector("#identities tr[data-id]").dataset.id`)
	c.open("/ui/identities/"+id, "#identity-status")
	if got := c.text("#identity-status"); got != "active" {
		t.Fatalf("status %q before the quarantine, want active", got)
	}
	if c.exists("#lift-form") {
		t.Fatal("an active identity offers to lift a quarantine")
	}

	c.step("type the reason", chromedp.SendKeys(chromedp.CSS("#quarantine-reason"), "browser test: suspected key leak"))
	c.confirm("#quarantine", "")
	if got := c.text("#identity-status"); got != "quarantined" {
		t.Fatalf("status %q after the quarantine, want quarantined:\n%s", got, c.mainText())
	}
	if class := evalIn[string](c, `document.querySelector("#identity-status").className`); !strings.Contains(class, "quarantined") {
		t.Fatalf("status badge class %q", class)
	}
	if c.exists("#quarantine-form") || !c.exists("#lift-form") {
		t.Fatal("a quarantined identity must offer to lift the quarantine, not to quarantine again")
	}
	var stored apiIdentity
	c.api("/v1/identities/"+id, &stored)
	if stored.Status != "quarantined" {
		t.Fatalf("the API has status %q, want quarantined", stored.Status)
	}
}

// TestConsoleBrowser_SuppressFinding suppresses an open finding from the
// findings page with a reason and an end date, and sees #finding-status
// become suppressed.
func TestConsoleBrowser_SuppressFinding(t *testing.T) {
	c := newConsoleTab(t)
	c.signIn("/ui/findings", "#findings")
	if !c.exists("#findings a.suppress-link") {
		t.Fatalf("no open finding offers a suppress link:\n%s", c.mainText())
	}
	fid := evalIn[string](c, `document.querySelector("#findings a.suppress-link").closest("tr[data-id]").dataset.id`)

	c.submit(`#findings tr[data-id="` + fid + `"] a.suppress-link`)
	if def := evalIn[string](c, `document.querySelector("#suppress-until").value`); def == "" {
		t.Fatal("the suppress form has no default end date")
	}
	until := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
	c.step("fill the suppression",
		chromedp.SendKeys(chromedp.CSS("#suppress-reason"), "browser test: accepted risk until the migration"),
		chromedp.SetValue(chromedp.CSS("#suppress-until"), until))
	c.confirm("#suppress", "")
	if loc := c.location(); loc != c.base+"/ui/findings/"+fid+"?done=suppress" {
		t.Fatalf("after suppressing, the console is at %s", loc)
	}
	if got := c.text("#finding-status"); got != "suppressed" {
		t.Fatalf("finding status %q after suppressing, want suppressed:\n%s", got, c.mainText())
	}
	var stored struct {
		Status      string `json:"status"`
		Suppression *struct {
			Reason string    `json:"reason"`
			Until  time.Time `json:"until"`
		} `json:"suppression"`
	}
	c.api("/v1/findings/"+fid, &stored)
	if stored.Status != "suppressed" || stored.Suppression == nil || !strings.Contains(stored.Suppression.Reason, "accepted risk") ||
		stored.Suppression.Until.Format("2006-01-02") < until {
		t.Fatalf("the API has the finding as %+v, want suppressed with the reason until %s", stored, until)
	}
}
