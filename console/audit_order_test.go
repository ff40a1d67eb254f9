package console_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// auditSeqs returns the sequence numbers of the audit page's rows in order.
func auditSeqs(t *testing.T, page string) []int {
	t.Helper()
	var out []int
	for _, m := range regexp.MustCompile(`<tr data-id="(\d+)">`).FindAllStringSubmatch(page, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func TestAuditPage_LatestFirstUnlessOldestAsked(t *testing.T) {
	f := newFixture(t)
	id := seedIdentity(t, f, warden.Identity{Kind: warden.KindBot, Provider: "slack", ExternalID: "B0123", Name: "deploy-bot"})
	for _, owner := range []string{"team-a", "team-b", "team-c"} {
		o := owner
		if _, err := f.db.UpdateIdentity(adminCtx(), id.ID, warden.IdentityUpdate{Owner: &o}); err != nil {
			t.Fatal(err)
		}
	}
	b := f.signIn(t, warden.RoleAuditor)
	cases := []struct {
		query      string
		wantStatus int
		ascending  bool
	}{
		{"", http.StatusOK, false},
		{"?order=newest", http.StatusOK, false},
		{"?order=oldest", http.StatusOK, true},
		{"?order=oldest&target_type=identity&target_id=" + id.ID, http.StatusOK, true},
		{"?target_type=identity&target_id=" + id.ID, http.StatusOK, false},
		{"?order=sideways", http.StatusBadRequest, false},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			status, page := b.get("/ui/audit" + tc.query)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d", status, tc.wantStatus)
			}
			if status != http.StatusOK {
				if !strings.Contains(page, "order") {
					t.Fatalf("the error should name the order parameter:\n%s", page)
				}
				return
			}
			seqs := auditSeqs(t, page)
			if len(seqs) < 4 {
				t.Fatalf("want at least the creation and 3 updates, got %v", seqs)
			}
			for i := 1; i < len(seqs); i++ {
				if (seqs[i] > seqs[i-1]) != tc.ascending {
					t.Fatalf("rows %v are not in %s order", seqs, map[bool]string{true: "ascending", false: "descending"}[tc.ascending])
				}
			}
		})
	}
}
