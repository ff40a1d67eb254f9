package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

func newFinding(identityID, rule, subject string) *warden.Finding {
	return &warden.Finding{
		IdentityID: identityID, RuleID: rule, Subject: subject, Severity: warden.SeverityHigh,
		Title: "Title of " + rule, Detail: "detail", Evidence: json.RawMessage(`{"n":1}`),
		OWASP: []string{"NHI7"}, NIST: []string{"CSF PR.AA-01"}, Remediation: "fix it", Source: "govern",
	}
}

func riskScore(tb testing.TB, db *store.DB, id string) int {
	tb.Helper()
	var n int
	if err := db.SQL().QueryRow(db.Rebind("SELECT risk_score FROM identities WHERE id = ?"), id).Scan(&n); err != nil {
		tb.Fatalf("read risk score: %v", err)
	}
	return n
}

func auditActions(tb testing.TB, db *store.DB, targetType string) map[string]int {
	tb.Helper()
	out := map[string]int{}
	recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: targetType, Limit: warden.MaxPageSize})
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range recs {
		out[r.Action]++
	}
	return out
}

// testFindings covers findings, risk scores and the posture series.
func testFindings(t *testing.T, open Opener) {
	ctx := actorCtx("governor")
	t.Run("Posture", func(t *testing.T) { testPosture(t, open) })
	t.Run("RaiseDeduplicates", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		id := mustCreate(t, db, sampleRole("leaky"))
		f := newFinding(id.ID, "secret-leaked", "AKIAEXAMPLE")
		f.Source = "scan"
		if err := db.RaiseFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
		first := *f
		c.advance(time.Hour)
		again := newFinding(id.ID, "secret-leaked", "AKIAEXAMPLE")
		again.Source, again.Evidence = "scan", json.RawMessage(`{"n":2}`)
		if err := db.RaiseFinding(ctx, again); err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || !again.FirstSeenAt.Equal(first.FirstSeenAt) || !again.LastSeenAt.After(first.LastSeenAt) || string(again.Evidence) != `{"n":2}` {
			t.Fatalf("raise again = %+v, first %+v", again, first)
		}
		all, _, err := db.FindFindings(context.Background(), warden.FindingFilter{})
		if err != nil || len(all) != 1 {
			t.Fatalf("%d findings (%v), want 1", len(all), err)
		}
		got, err := db.FindFindingByID(context.Background(), first.ID)
		if err != nil || got.Status != warden.FindingOpen || got.Source != "scan" || got.OWASP[0] != "NHI7" {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := db.ResolveFinding(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		third := newFinding(id.ID, "secret-leaked", "AKIAEXAMPLE")
		third.Source = "scan"
		if err := db.RaiseFinding(ctx, third); err != nil || third.Status != warden.FindingOpen || third.ResolvedAt != nil {
			t.Fatalf("raising a resolved finding did not reopen it: %+v, %v", third, err)
		}
		if got := auditActions(t, db, "finding"); got["finding.open"] != 1 || got["finding.resolve"] != 1 || got["finding.reopen"] != 1 {
			t.Errorf("audit actions = %v", got)
		}
	})
	t.Run("RaiseErrors", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("x"))
		for name, tc := range map[string]struct {
			mod  func(f *warden.Finding)
			code string
		}{
			"UnknownIdentity": {func(f *warden.Finding) { f.IdentityID = "0190d4a8-0000-7000-8000-000000000000" }, warden.ENOTFOUND},
			"BadRule":         {func(f *warden.Finding) { f.RuleID = "Bad Rule" }, warden.EINVALID},
			"BadSeverity":     {func(f *warden.Finding) { f.Severity = "dire" }, warden.EINVALID},
			"BadOWASP":        {func(f *warden.Finding) { f.OWASP = []string{"NHI11"} }, warden.EINVALID},
			"EvidenceNotObj":  {func(f *warden.Finding) { f.Evidence = json.RawMessage(`[1]`) }, warden.EINVALID},
			"NoTitle":         {func(f *warden.Finding) { f.Title = "" }, warden.EINVALID},
		} {
			t.Run(name, func(t *testing.T) {
				f := newFinding(id.ID, "secret-leaked", "")
				tc.mod(f)
				wantCode(t, db.RaiseFinding(ctx, f), tc.code)
			})
		}
	})
	t.Run("Filters", func(t *testing.T) {
		db := open(t)
		a := mustCreate(t, db, sampleRole("a"))
		b := mustCreate(t, db, sampleRole("b"))
		var found []*warden.Finding
		for n := 0; n < 5; n++ {
			f := newFinding(a.ID, "credential-old", fmt.Sprint("key-", n))
			if n%2 == 0 {
				f.Severity, f.OWASP = warden.SeverityCritical, []string{"NHI5", "NHI1"}
			}
			found = append(found, f)
		}
		found = append(found, newFinding(b.ID, "owner-missing", ""))
		if _, _, err := db.SyncFindings(ctx, []string{"credential-old", "owner-missing"}, []string{a.ID, b.ID}, found); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			filter warden.FindingFilter
			want   int
		}{
			"All":          {warden.FindingFilter{}, 6},
			"Identity":     {warden.FindingFilter{IdentityID: b.ID}, 1},
			"Rule":         {warden.FindingFilter{RuleID: "credential-old"}, 5},
			"Severity":     {warden.FindingFilter{Severity: warden.SeverityCritical}, 3},
			"OWASP":        {warden.FindingFilter{OWASP: "NHI1"}, 3},
			"OWASPLower":   {warden.FindingFilter{OWASP: "nhi7"}, 3},
			"OWASPNoMatch": {warden.FindingFilter{OWASP: "NHI10"}, 0},
			"Status":       {warden.FindingFilter{Status: warden.FindingOpen}, 6},
			"Resolved":     {warden.FindingFilter{Status: warden.FindingResolved}, 0},
			"Source":       {warden.FindingFilter{Source: "scan"}, 0},
		} {
			t.Run(name, func(t *testing.T) {
				var got []*warden.Finding
				f := tc.filter
				f.Limit = 2
				for {
					page, next, err := db.FindFindings(context.Background(), f)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, page...)
					if next == "" {
						break
					}
					f.Cursor = next
				}
				if len(got) != tc.want {
					t.Fatalf("%d findings, want %d", len(got), tc.want)
				}
				for i := 1; i < len(got); i++ {
					if got[i].ID >= got[i-1].ID {
						t.Fatalf("not newest first: %s after %s", got[i].ID, got[i-1].ID)
					}
				}
			})
		}
		for name, f := range map[string]warden.FindingFilter{
			"BadSeverity": {Severity: "dire"}, "BadOWASP": {OWASP: "NHI0"}, "BadStatus": {Status: "gone"},
			"BadCursor": {Cursor: "!!"}, "BadLimit": {Limit: 100000},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := db.FindFindings(context.Background(), f)
				wantCode(t, err, warden.EINVALID)
			})
		}
	})
	t.Run("SyncLifecycle", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		id := mustCreate(t, db, sampleRole("life"))
		rules := []string{"owner-missing", "credential-old"}
		ids := []string{id.ID}
		leak := newFinding(id.ID, "secret-leaked", "k")
		leak.Source = "scan"
		if err := db.RaiseFinding(ctx, leak); err != nil {
			t.Fatal(err)
		}
		sync := func(found ...*warden.Finding) (warden.FindingSyncResult, map[string][]*warden.Finding) {
			t.Helper()
			c.advance(time.Hour)
			res, open, err := db.SyncFindings(ctx, rules, ids, found)
			if err != nil {
				t.Fatal(err)
			}
			return res, open
		}
		res, open := sync(newFinding(id.ID, "owner-missing", ""), newFinding(id.ID, "credential-old", "k1"))
		if res != (warden.FindingSyncResult{Opened: 2}) || len(open[id.ID]) != 3 {
			t.Fatalf("first sync: %+v, open %d (want 2 opened, 3 open incl. the scanner's)", res, len(open[id.ID]))
		}
		res, open = sync(newFinding(id.ID, "owner-missing", ""))
		if res != (warden.FindingSyncResult{Refreshed: 1, Resolved: 1}) || len(open[id.ID]) != 2 {
			t.Fatalf("second sync: %+v, open %d", res, len(open[id.ID]))
		}
		if got, _ := db.FindFindingByID(context.Background(), leak.ID); got.Status != warden.FindingOpen {
			t.Fatalf("the evaluator resolved another component's finding: %+v", got)
		}
		changed := newFinding(id.ID, "owner-missing", "")
		changed.Detail = "new detail"
		res, _ = sync(changed, newFinding(id.ID, "credential-old", "k1"))
		if res != (warden.FindingSyncResult{Refreshed: 1, Reopened: 1}) {
			t.Fatalf("third sync: %+v", res)
		}
		list, _, _ := db.FindFindings(context.Background(), warden.FindingFilter{RuleID: "owner-missing"})
		if len(list) != 1 || list[0].Detail != "new detail" || !list[0].LastSeenAt.Equal(c.t.Truncate(time.Microsecond)) {
			t.Fatalf("refreshed finding = %+v", list)
		}
		// Suppress the owner finding; syncs keep it suppressed until expiry.
		sup, err := db.SuppressFinding(ctx, list[0].ID, "owner being hired", c.t.Add(48*time.Hour))
		if err != nil || sup.Status != warden.FindingSuppressed || sup.Suppression.By != "token:tok-governor(governor)" {
			t.Fatalf("suppress = %+v, %v", sup, err)
		}
		res, open = sync(changed, newFinding(id.ID, "credential-old", "k1"))
		if res != (warden.FindingSyncResult{Refreshed: 2}) || len(open[id.ID]) != 2 {
			t.Fatalf("sync while suppressed: %+v, open %d (the suppressed one must not count)", res, len(open[id.ID]))
		}
		c.advance(72 * time.Hour)
		res, open = sync(changed, newFinding(id.ID, "credential-old", "k1"))
		if res != (warden.FindingSyncResult{Refreshed: 1, Expired: 1}) || len(open[id.ID]) != 3 {
			t.Fatalf("sync after expiry: %+v, open %d", res, len(open[id.ID]))
		}
		res, _ = sync()
		if res.Resolved != 2 {
			t.Fatalf("empty sync: %+v, want 2 resolved", res)
		}
		got := auditActions(t, db, "finding")
		if got["finding.open"] != 3 || got["finding.resolve"] != 3 || got["finding.reopen"] != 1 || got["finding.suppress"] != 1 || got["finding.suppression_expired"] != 1 {
			t.Errorf("audit actions = %v", got)
		}
		if v, err := db.VerifyAudit(context.Background()); err != nil || !v.OK {
			t.Fatalf("audit chain: %+v, %v", v, err)
		}
	})
	t.Run("SyncRejectsOutOfScope", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, sampleRole("scope"))
		for name, found := range map[string][]*warden.Finding{
			"OtherRule":     {newFinding(id.ID, "credential-old", "")},
			"OtherIdentity": {newFinding("someone-else", "owner-missing", "")},
			"Duplicate":     {newFinding(id.ID, "owner-missing", ""), newFinding(id.ID, "owner-missing", "")},
			"Invalid":       {func() *warden.Finding { f := newFinding(id.ID, "owner-missing", ""); f.Severity = ""; return f }()},
		} {
			t.Run(name, func(t *testing.T) {
				_, _, err := db.SyncFindings(ctx, []string{"owner-missing"}, []string{id.ID}, found)
				wantCode(t, err, warden.EINVALID)
			})
		}
	})
	t.Run("Suppress", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		id := mustCreate(t, db, sampleRole("sup"))
		f := newFinding(id.ID, "secret-leaked", "")
		if err := db.RaiseFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			reason string
			until  time.Time
			field  string
		}{
			"NoReason":   {"  ", c.t.Add(time.Hour), "reason"},
			"Past":       {"ok", c.t.Add(-time.Hour), "until"},
			"TooFar":     {"ok", c.t.Add(400 * 24 * time.Hour), "until"},
			"LongReason": {string(make([]byte, 2000)), c.t.Add(time.Hour), "reason"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := db.SuppressFinding(ctx, f.ID, tc.reason, tc.until)
				wantCode(t, err, warden.EINVALID)
				if got := warden.ErrorField(err); got != tc.field {
					t.Errorf("field = %q, want %q", got, tc.field)
				}
			})
		}
		_, err := db.UnsuppressFinding(ctx, f.ID)
		wantCode(t, err, warden.ECONFLICT)
		_, err = db.SuppressFinding(ctx, "0190d4a8-0000-7000-8000-000000000000", "r", c.t.Add(time.Hour))
		wantCode(t, err, warden.ENOTFOUND)
		if _, err := db.SuppressFinding(ctx, f.ID, "accepted", c.t.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		un, err := db.UnsuppressFinding(ctx, f.ID)
		if err != nil || un.Status != warden.FindingOpen {
			t.Fatalf("unsuppress = %+v, %v", un, err)
		}
		if _, err := db.ResolveFinding(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.SuppressFinding(ctx, f.ID, "accepted", c.t.Add(time.Hour))
		wantCode(t, err, warden.ECONFLICT)
	})
	t.Run("RiskScores", func(t *testing.T) {
		db := open(t)
		a := mustCreate(t, db, sampleRole("ra"))
		b := mustCreate(t, db, sampleRole("rb"))
		n, err := db.SetRiskScores(ctx, map[string]int{a.ID: 42, b.ID: 0})
		if err != nil || n != 1 {
			t.Fatalf("set = %d, %v; want 1 changed", n, err)
		}
		if riskScore(t, db, a.ID) != 42 || riskScore(t, db, b.ID) != 0 {
			t.Fatalf("scores not stored")
		}
		if got, err := db.FindIdentityByID(context.Background(), a.ID); err != nil || got.RiskScore != 42 {
			t.Fatalf("identity risk = %+v, %v", got, err)
		}
		page, _, err := db.FindIdentities(context.Background(), warden.IdentityFilter{MinRisk: 1})
		if err != nil || len(page) != 1 || page[0].ID != a.ID {
			t.Fatalf("min_risk filter = %v, %v", page, err)
		}
		var order []string
		f := warden.IdentityFilter{Sort: "-risk_score", Limit: 1}
		for {
			page, next, err := db.FindIdentities(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range page {
				order = append(order, i.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(order) != 2 || order[0] != a.ID {
			t.Fatalf("sort -risk_score = %v, want %s first", order, a.ID)
		}
		_, _, err = db.FindIdentities(context.Background(), warden.IdentityFilter{MinRisk: 101})
		wantCode(t, err, warden.EINVALID)
		// A re-import keeps the score governance computed.
		again := sampleRole("ra")
		if _, err := db.ImportIdentities(ctx, []*warden.Identity{again}); err != nil || again.RiskScore != 42 {
			t.Fatalf("re-import: risk %d, %v", again.RiskScore, err)
		}
		if n, err := db.SetRiskScores(ctx, map[string]int{a.ID: 42}); err != nil || n != 0 {
			t.Fatalf("unchanged set = %d, %v", n, err)
		}
		_, err = db.SetRiskScores(ctx, map[string]int{a.ID: 101})
		wantCode(t, err, warden.EINVALID)
		if got := auditActions(t, db, "governance"); got["identity.risk_scores"] != 1 {
			t.Errorf("audit = %v", got)
		}
	})
}
