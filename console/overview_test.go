package console_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestOverview_CountsOWASPAndTrends(t *testing.T) {
	f := newFixture(t)
	seedIdentity(t, f, warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::1:role/a", Name: "a", Owner: "team-a", Managed: true})
	seedIdentity(t, f, warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::1:role/b", Name: "b", Managed: true})
	seedIdentity(t, f, warden.Identity{Kind: warden.KindBot, Provider: "slack", ExternalID: "B1", Name: "c"})

	b := f.signIn(t, warden.RoleAuditor)
	_, empty := b.get("/ui/")
	if !strings.Contains(empty, "No posture snapshots yet") || strings.Contains(empty, "<polyline") {
		t.Fatalf("before any evaluation the charts should say there is no data:\n%s", empty)
	}

	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for week, open := range []int{40, 31, 22, 9} {
		p := &warden.PostureSnapshot{Time: base.Add(time.Duration(week) * 7 * 24 * time.Hour), Identities: 3, Unowned: 2, OpenFindings: open,
			HighRisk: 1, ByOWASP: map[string]int{"NHI1": open - 2, "NHI7": 2}}
		if err := f.db.RecordPosture(adminCtx(), p); err != nil {
			t.Fatal(err)
		}
	}
	status, page := b.get("/ui/")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for name, want := range map[string]string{
		"total":             `<span class="n" id="count-total">3</span>`,
		"unowned":           `<span class="n" id="count-unowned">2</span>`,
		"not onboarded":     `<span class="n" id="count-not-onboarded">1</span>`,
		"open findings":     `<span class="n" id="count-open-findings">9</span>`,
		"kind link":         `<a href="/ui/identities?kind=cloud_role">cloud_role</a></td><td class="num">2</td>`,
		"provider link":     `<a href="/ui/identities?provider=slack">slack</a></td><td class="num">1</td>`,
		"OWASP from latest": `<a href="/ui/findings?owasp=NHI1">NHI1</a></td><td>Improper Offboarding</td><td class="num">7</td>`,
		"latest in legend":  `Open findings — now 9`,
		"chart is labelled": `<title id="trend-findings-title">`,
		"numbers beside it": `<td class="num">40</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("%s: page lacks %s", name, want)
		}
	}
	// The open-findings line has a point per snapshot, falling from left to right.
	m := regexp.MustCompile(`<polyline class="line s1" points="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no open-findings line:\n%s", page)
	}
	pts := strings.Fields(m[1])
	if len(pts) != 4 {
		t.Fatalf("%d points, want 4: %v", len(pts), pts)
	}
	y := func(p string) float64 {
		v, err := strconv.ParseFloat(p[strings.Index(p, ",")+1:], 64)
		if err != nil {
			t.Fatalf("point %q: %v", p, err)
		}
		return v
	}
	if !(y(pts[0]) < y(pts[3])) { // SVG y grows downwards: fewer findings sit lower
		t.Fatalf("the line should fall: first %s, last %s", pts[0], pts[3])
	}
}
