package console_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/console"
)

// seedIdentity stores an identity with the fields a test cares about and
// returns it with its id.
func seedIdentity(t testing.TB, f *fixture, id warden.Identity) *warden.Identity {
	t.Helper()
	if id.Kind == "" {
		id.Kind = warden.KindServiceAccount
	}
	if id.Provider == "" {
		id.Provider = warden.ProviderKubernetes
	}
	if id.ExternalID == "" {
		id.ExternalID = "ext/" + id.Name
	}
	if err := f.db.CreateIdentity(adminCtx(), &id); err != nil {
		t.Fatalf("create identity %s: %v", id.Name, err)
	}
	return &id
}

var (
	rowName = regexp.MustCompile(`<a class="identity-link" href="/ui/identities/([^"]+)">([^<]*)</a>`)
	hrefOf  = func(id string) *regexp.Regexp { return regexp.MustCompile(`id="` + id + `" href="([^"]*)"`) }
)

// listedNames returns the names in the identities table, in order.
func listedNames(page string) []string {
	var out []string
	for _, m := range rowName.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[2]))
	}
	return out
}

// linkHref returns the unescaped href of the element with the id, or "".
func linkHref(page, id string) string {
	m := hrefOf(id).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestIdentities_Filters(t *testing.T) {
	f := newFixture(t)
	seedIdentity(t, f, warden.Identity{Name: "payments-api", Owner: "team-pay", Environment: "prod", Managed: true, Purpose: "charges cards"})
	seedIdentity(t, f, warden.Identity{Name: "ci-deployer", Kind: warden.KindCIIdentity, Provider: warden.ProviderGitHub, Environment: "prod", Managed: true})
	seedIdentity(t, f, warden.Identity{Name: "billing-role", Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, Owner: "team-pay", Environment: "staging", Managed: false})
	seedIdentity(t, f, warden.Identity{Name: "old-bot", Kind: warden.KindBot, Provider: warden.ProviderGeneric, Status: warden.StatusQuarantined, StatusReason: "leaked", Managed: true})
	b := f.signIn(t, warden.RoleAuditor)

	cases := []struct {
		name  string
		query string
		want  []string // sorted by name
	}{
		{"no filter", "", []string{"billing-role", "ci-deployer", "old-bot", "payments-api"}},
		{"search matches purpose", "q=CHARGES", []string{"payments-api"}},
		{"search matches name", "q=deploy", []string{"ci-deployer"}},
		{"kind", "kind=cloud_role", []string{"billing-role"}},
		{"provider", "provider=github", []string{"ci-deployer"}},
		{"status", "status=quarantined", []string{"old-bot"}},
		{"owner", "owner=team-pay", []string{"billing-role", "payments-api"}},
		{"unowned", "unowned=1", []string{"ci-deployer", "old-bot"}},
		{"environment", "environment=prod", []string{"ci-deployer", "payments-api"}},
		{"not onboarded", "managed=false", []string{"billing-role"}},
		{"managed", "managed=true", []string{"ci-deployer", "old-bot", "payments-api"}},
		{"combined", "owner=team-pay&environment=prod", []string{"payments-api"}},
		{"empty form values are no filter", "q=&kind=&provider=&status=&owner=&environment=&managed=&sort=", []string{"billing-role", "ci-deployer", "old-bot", "payments-api"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, page := b.get("/ui/identities?sort=name&" + tc.query)
			if status != http.StatusOK {
				t.Fatalf("status %d\n%s", status, page)
			}
			if got := listedNames(page); !slices.Equal(got, tc.want) {
				t.Fatalf("listed %v, want %v", got, tc.want)
			}
			if !strings.Contains(page, `id="result-summary"`) || !strings.Contains(page, `<table id="identities">`) {
				t.Fatalf("no summary or table:\n%s", page)
			}
		})
	}
}

func TestIdentities_FormShowsTheFilters(t *testing.T) {
	f := newFixture(t)
	seedIdentity(t, f, warden.Identity{Name: "payments-api", Environment: "prod", Managed: true})
	b := f.signIn(t, warden.RoleApprover)
	_, page := b.get("/ui/identities?q=pay&kind=service_account&status=active&unowned=1&environment=prod&managed=true&sort=-risk_score")
	for _, want := range []string{
		`<form id="identity-filters" class="filters" method="get" action="/ui/identities"`,
		`name="q" value="pay"`,
		`<option value="service_account" selected>`,
		`<option value="active" selected>`,
		`name="unowned" value="1" checked`,
		`name="environment" value="prod"`,
		`<option value="true" selected>managed</option>`,
		`<option value="-risk_score" selected>Risk score, descending</option>`,
		`<button type="submit" id="apply-filters">`,
		`<tr data-id="`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestIdentities_Sort(t *testing.T) {
	f := newFixture(t)
	base := time.Now().Add(-time.Hour)
	for i, name := range []string{"bravo", "alpha", "charlie"} {
		id := seedIdentity(t, f, warden.Identity{Name: name, Managed: true})
		used := base.Add(time.Duration(i) * time.Minute)
		if _, err := f.db.RecordEvents(adminCtx(), []*warden.Event{{Time: used, Source: "test", RawID: name, IdentityID: id.ID, Provider: id.Provider, Principal: name, Action: "get", Outcome: warden.OutcomeAllow}}); err != nil {
			t.Fatal(err)
		}
	}
	b := f.signIn(t, warden.RoleAuditor)
	cases := []struct {
		sort string
		want []string
	}{
		{"name", []string{"alpha", "bravo", "charlie"}},
		{"-name", []string{"charlie", "bravo", "alpha"}},
		{"created_at", []string{"bravo", "alpha", "charlie"}},
		{"", []string{"bravo", "alpha", "charlie"}}, // default: creation order
		{"-last_used_at", []string{"charlie", "alpha", "bravo"}},
		{"last_used_at", []string{"bravo", "alpha", "charlie"}},
	}
	for _, tc := range cases {
		t.Run("sort="+tc.sort, func(t *testing.T) {
			_, page := b.get("/ui/identities?sort=" + tc.sort)
			if got := listedNames(page); !slices.Equal(got, tc.want) {
				t.Fatalf("listed %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("column headers toggle the direction and keep the filters", func(t *testing.T) {
		_, page := b.get("/ui/identities?sort=name&environment=&status=active")
		if !strings.Contains(page, `aria-sort="ascending"><a href="/ui/identities?sort=-name&amp;status=active">Name</a>`) {
			t.Fatalf("name header does not reverse the sort:\n%s", page)
		}
		if !strings.Contains(page, `<a href="/ui/identities?sort=-risk_score&amp;status=active">Risk</a>`) {
			t.Fatalf("risk header does not sort by risk, riskiest first:\n%s", page)
		}
		_, page = b.get("/ui/identities?sort=-name")
		if !strings.Contains(page, `aria-sort="descending"><a href="/ui/identities?sort=name">Name</a>`) {
			t.Fatalf("descending name header:\n%s", page)
		}
	})
}

func TestIdentities_Pagination(t *testing.T) {
	f := newFixture(t)
	var batch []*warden.Identity
	for i := range 120 {
		env := "prod"
		if i%2 == 1 {
			env = "dev"
		}
		batch = append(batch, &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS,
			ExternalID: fmt.Sprintf("arn:aws:iam::1:role/r%03d", i), Name: fmt.Sprintf("role-%03d", i), Environment: env, Managed: true})
	}
	if _, err := f.db.ImportIdentities(adminCtx(), batch); err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, warden.RoleAuditor)

	t.Run("all, 50 a page", func(t *testing.T) {
		var seen []string
		path := "/ui/identities?sort=name"
		for pageNo := 1; path != ""; pageNo++ {
			status, page := b.get(path)
			if status != http.StatusOK {
				t.Fatalf("page %d: status %d", pageNo, status)
			}
			names := listedNames(page)
			wantRows := map[int]int{1: 50, 2: 50, 3: 20}[pageNo]
			if len(names) != wantRows {
				t.Fatalf("page %d has %d rows, want %d", pageNo, len(names), wantRows)
			}
			if got := strings.Count(page, `<tr data-id="`); got != wantRows {
				t.Fatalf("page %d has %d data-id rows", pageNo, got)
			}
			if pageNo > 1 && linkHref(page, "first-page") != "/ui/identities?sort=name" {
				t.Fatalf("page %d: first-page link %q", pageNo, linkHref(page, "first-page"))
			}
			if pageNo == 1 && !strings.Contains(page, "Showing 50 identities") {
				t.Fatalf("summary on page 1:\n%s", page)
			}
			seen = append(seen, names...)
			path = linkHref(page, "next-page")
			if pageNo > 3 {
				t.Fatal("more than three pages for 120 identities")
			}
		}
		if len(seen) != 120 || !slices.IsSorted(seen) || seen[0] != "role-000" || seen[119] != "role-119" {
			t.Fatalf("walked %d identities, sorted %v", len(seen), slices.IsSorted(seen))
		}
	})

	t.Run("pager keeps the filters", func(t *testing.T) {
		_, page := b.get("/ui/identities?environment=prod&sort=-name")
		next := linkHref(page, "next-page")
		if !strings.Contains(next, "environment=prod") || !strings.Contains(next, "sort=-name") || !strings.Contains(next, "cursor=") {
			t.Fatalf("next-page link %q", next)
		}
		_, page2 := b.get(next)
		names := listedNames(page2)
		if len(names) != 10 || linkHref(page2, "next-page") != "" {
			t.Fatalf("second page of 60 prod identities: %d rows, next %q", len(names), linkHref(page2, "next-page"))
		}
		for _, n := range names {
			var i int
			fmt.Sscanf(n, "role-%d", &i)
			if i%2 != 0 {
				t.Fatalf("second page lists dev identity %s", n)
			}
		}
	})
}

func TestIdentities_BadFilterIs400NamingTheField(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	cases := []struct{ name, query, field string }{
		{"unknown kind", "kind=robot", "kind"},
		{"unknown status", "status=sleeping", "status"},
		{"bad provider", "provider=AWS!", "provider"},
		{"bad managed", "managed=maybe", "managed"},
		{"bad unowned", "unowned=yes-please", "unowned"},
		{"unknown sort", "sort=colour", "sort"},
		{"owner and unowned", "owner=team-a&unowned=1", "owner"},
		{"forged cursor", "cursor=not-a-cursor", "cursor"},
		{"search too long", "q=" + strings.Repeat("x", 300), "search text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, page := b.get("/ui/identities?" + tc.query)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", status, page)
			}
			msg := regexp.MustCompile(`(?s)id="status-message">(.*?)</p>`).FindStringSubmatch(page)
			if msg == nil || !strings.Contains(msg[1], tc.field) {
				t.Fatalf("message does not name %q: %v", tc.field, msg)
			}
		})
	}
}

func TestIdentities_EmptyResultsSayWhatToDo(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	_, page := b.get("/ui/identities")
	if !strings.Contains(page, `id="no-results"`) || !strings.Contains(page, "inventory is empty") || strings.Contains(page, `<table id="identities">`) {
		t.Fatalf("empty inventory:\n%s", page)
	}
	seedIdentity(t, f, warden.Identity{Name: "payments-api", Managed: true})
	_, page = b.get("/ui/identities?q=nothing-like-this")
	if !strings.Contains(page, "No identity matches these filters") || !strings.Contains(page, `<a href="/ui/identities">clear every filter</a>`) {
		t.Fatalf("no match:\n%s", page)
	}
}

// detailFixture is an identity with one of everything the identity page
// shows, stored through the real services.
type detailFixture struct {
	identity *warden.Identity
	issuedID string
}

func seedDetail(t testing.TB, f *fixture) detailFixture {
	t.Helper()
	ctx := adminCtx()
	id := seedIdentity(t, f, warden.Identity{Name: "payments-api", Kind: warden.KindWorkload, Provider: warden.ProviderWarden,
		ExternalID: "spiffe://example.org/payments", Owner: "team-pay", Purpose: "charges cards", Environment: "prod",
		Labels: map[string]string{"tier": "gold"}, Managed: true})
	old := time.Now().Add(-400 * 24 * time.Hour)
	if err := f.db.CreateCredential(ctx, &warden.Credential{IdentityID: id.ID, Type: warden.CredentialAccessKey, PublicID: "AKIADETAILEXAMPLE001", LastRotatedAt: &old}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ReplaceGrants(ctx, id.ID, "aws-iam", []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow",
		Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::ledger-bucket/*"}, Via: "policy/ledger-read", Source: "aws-iam"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RaiseFinding(ctx, &warden.Finding{IdentityID: id.ID, RuleID: "credential-age", Severity: warden.SeverityHigh,
		Title: "Access key older than 90 days", Source: "test", OWASP: []string{"NHI7"}}); err != nil {
		t.Fatal(err)
	}
	used := time.Now().Add(-2 * time.Hour)
	event := &warden.Event{Time: used, Source: "cloudtrail", RawID: "evt-1", IdentityID: id.ID,
		Provider: warden.ProviderAWS, Principal: "payments-api", Action: "s3:ListBuckets", Resource: "arn:aws:s3:::*",
		SourceIP: "203.0.113.9", Outcome: warden.OutcomeAllow}
	if _, err := f.db.RecordEvents(ctx, []*warden.Event{event}); err != nil {
		t.Fatal(err)
	}
	if event.ID == "" {
		t.Fatal("RecordEvents set no event id")
	}
	if err := f.db.RecordDecisions(ctx, []*warden.DecisionRecord{{Time: used, Source: "http", IdentityID: id.ID,
		Principal: warden.EntityRef{Type: "Warden::Identity", ID: id.ID}, Action: warden.EntityRef{Type: "Warden::Action", ID: "ledger-write"},
		Resource: warden.EntityRef{Type: "Warden::Resource", ID: "ledger"}, Decision: "deny", Policies: []string{"deny-unowned-writes"}, PolicyVersion: 3}}); err != nil {
		t.Fatal(err)
	}
	entry := &warden.RegistrationEntry{SPIFFEID: id.ExternalID, IdentityID: id.ID, Method: warden.AttestJoinToken}
	if err := f.db.CreateRegistrationEntry(ctx, entry); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issued := &warden.IssuedCredential{ID: "jti-detail-0001", Kind: warden.IssuedJWTSVID, IdentityID: id.ID, EntryID: entry.ID,
		SPIFFEID: entry.SPIFFEID, Attestation: "join_token:t1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := f.db.RecordIssuedCredential(ctx, issued); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RecordDetections(ctx, []*warden.Detection{{Detector: "new-source-ip", Severity: warden.SeverityMedium, Time: used,
		IdentityID: id.ID, Provider: warden.ProviderAWS, Identity: "payments-api", Explanation: "first request from 203.0.113.9",
		EventIDs: []string{event.ID}}}); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.FindIdentityByID(ctx, id.ID)
	if err != nil {
		t.Fatal(err)
	}
	return detailFixture{identity: got, issuedID: issued.ID}
}

// sectionOf returns the HTML of the page's section with the id, or "".
func sectionOf(page, id string) string {
	m := regexp.MustCompile(`(?s)<section [^>]*id="` + id + `">.*?</section>`).FindString(page)
	return m
}

func TestIdentity_ShowsEverySection(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	b := f.signIn(t, warden.RoleAdmin)
	status, page := b.get("/ui/identities/" + d.identity.ID)
	if status != http.StatusOK {
		t.Fatalf("status %d\n%s", status, page)
	}
	cases := []struct{ name, where, want string }{
		{"name", "", `<h1 id="identity-name">payments-api</h1>`},
		{"status", "", `<span id="identity-status" class="badge active">active</span>`},
		{"owner", "", `<dd id="identity-owner">team-pay</dd>`},
		{"external id", "", "spiffe://example.org/payments"},
		{"purpose", "", "charges cards"},
		{"labels", "", "<code>tier=gold</code>"},
		{"edit link", "", `<a class="button secondary" id="edit-identity" href="/ui/identities/` + d.identity.ID + `/edit">`},
		{"quarantine form", "", `<form id="quarantine-form" class="inline" method="post" action="/ui/identities/` + d.identity.ID + `/quarantine">`},
		{"credential", "credentials", "AKIADETAILEXAMPLE001"},
		{"credential rotation age", "credentials", "400 days ago"},
		{"grant", "grants", "arn:aws:s3:::ledger-bucket/*"},
		{"finding links to its page", "findings", `<a href="/ui/findings/`},
		{"finding title", "findings", "Access key older than 90 days"},
		{"activity", "activity", "s3:ListBuckets"},
		{"issued credential", "issued", `data-id="jti-detail-0001"`},
		{"revoke one form", "issued", `<form class="revoke-issued inline" method="post" action="/ui/issued/jti-detail-0001/revoke">`},
		{"revoke all form", "issued", `<form id="revoke-all-form" class="inline" method="post" action="/ui/identities/` + d.identity.ID + `/revoke-issued">`},
		{"decision", "decisions", "deny-unowned-writes"},
		{"detection", "detections", "first request from 203.0.113.9"},
		{"audit history", "audit-history", "identity.create"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := page
			if tc.where != "" {
				if in = sectionOf(page, tc.where); in == "" {
					t.Fatalf("no section %q", tc.where)
				}
			}
			if !strings.Contains(in, tc.want) {
				t.Fatalf("%q lacks %s:\n%s", tc.where, tc.want, in)
			}
		})
	}
}

func TestIdentity_SectionsFollowTheRole(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	cases := []struct {
		role                     warden.Role
		issued, decisions, audit bool
		actions, revoke          bool
	}{
		{warden.RoleAdmin, true, true, true, true, true},
		{warden.RoleOperator, true, true, true, true, true},
		{warden.RoleAuditor, true, true, true, false, false},
		{warden.RoleApprover, false, false, false, false, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			b := f.signIn(t, tc.role)
			status, page := b.get("/ui/identities/" + d.identity.ID)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			check := func(what string, want, got bool) {
				if want != got {
					t.Errorf("%s shown: %v, want %v", what, got, want)
				}
			}
			check("issued credentials", tc.issued, strings.Contains(page, `id="issued"`) || strings.Contains(page, "jti-detail-0001"))
			check("decisions", tc.decisions, strings.Contains(page, `id="decisions"`) || strings.Contains(page, "deny-unowned-writes"))
			check("audit history", tc.audit, strings.Contains(page, `id="audit-history"`) || strings.Contains(page, "identity.create"))
			check("edit and quarantine", tc.actions, strings.Contains(page, `id="edit-identity"`) || strings.Contains(page, `id="quarantine-form"`))
			check("revoke forms", tc.revoke, strings.Contains(page, `class="revoke-issued`) || strings.Contains(page, `id="revoke-all-form"`))
			for _, always := range []string{"AKIADETAILEXAMPLE001", "ledger-bucket", "Access key older than 90 days", "s3:ListBuckets", "first request from 203.0.113.9"} {
				if !strings.Contains(page, always) {
					t.Errorf("page lacks %s", always)
				}
			}
		})
	}
}

func TestIdentity_UnknownIs404(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleAuditor)
	for _, path := range []string{"/ui/identities/no-such-identity", "/ui/identities/no-such-identity/edit"} {
		status, page := b.get(path)
		want := http.StatusNotFound
		if strings.HasSuffix(path, "/edit") {
			want = http.StatusForbidden // the auditor may not edit at all
		}
		if status != want {
			t.Fatalf("%s: status %d, want %d\n%s", path, status, want, page)
		}
	}
	admin := f.signIn(t, warden.RoleAdmin)
	if status, _ := admin.get("/ui/identities/no-such-identity/edit"); status != http.StatusNotFound {
		t.Fatalf("edit form of an unknown identity: %d", status)
	}
}

func TestIdentity_UnconfiguredSectionsSaySo(t *testing.T) {
	full := newFixture(t)
	d := seedDetail(t, full)
	ui := console.New(console.Config{Identities: full.db, Sessions: full.db})
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	f := &fixture{db: full.db, srv: srv, ui: ui, tokens: full.tokens}
	b := f.signIn(t, warden.RoleAdmin)
	status, page := b.get("/ui/identities/" + d.identity.ID)
	if status != http.StatusOK {
		t.Fatalf("status %d\n%s", status, page)
	}
	for _, sec := range []string{"credentials", "grants", "findings", "activity", "issued", "decisions", "detections", "audit-history"} {
		if s := sectionOf(page, sec); !strings.Contains(s, "is not configured on this server") {
			t.Errorf("section %s does not say it is not configured:\n%s", sec, s)
		}
	}
	if strings.Contains(page, "AKIADETAILEXAMPLE001") || strings.Contains(page, `id="revoke-all-form"`) {
		t.Fatal("an unconfigured section shows data or actions")
	}
}

func TestIdentity_ActionsFollowTheStatus(t *testing.T) {
	f := newFixture(t)
	b := f.signIn(t, warden.RoleOperator)
	cases := []struct {
		status                 warden.Status
		edit, quarantine, lift bool
	}{
		{warden.StatusActive, true, true, false},
		{warden.StatusQuarantined, true, false, true},
		{warden.StatusDisabled, true, false, false},
		{warden.StatusDeprovisioned, false, false, false},
	}
	for _, tc := range cases {
		t.Run(string(tc.status), func(t *testing.T) {
			id := seedIdentity(t, f, warden.Identity{Name: "svc-" + string(tc.status), Managed: true})
			switch tc.status {
			case warden.StatusActive:
			case warden.StatusDeprovisioned:
				if _, err := f.db.DeprovisionIdentity(adminCtx(), id.ID, "gone"); err != nil {
					t.Fatal(err)
				}
			default:
				st := tc.status
				if _, err := f.db.UpdateIdentity(adminCtx(), id.ID, warden.IdentityUpdate{Status: &st}); err != nil {
					t.Fatal(err)
				}
			}
			_, page := b.get("/ui/identities/" + id.ID)
			if !strings.Contains(page, `<span id="identity-status" class="badge `+string(tc.status)+`">`+string(tc.status)+`</span>`) {
				t.Fatalf("status badge missing:\n%s", page)
			}
			for what, want := range map[string]bool{`id="edit-identity"`: tc.edit, `id="quarantine-form"`: tc.quarantine, `id="lift-form"`: tc.lift} {
				if strings.Contains(page, what) != want {
					t.Errorf("%s shown: %v, want %v", what, !want, want)
				}
			}
		})
	}
}
