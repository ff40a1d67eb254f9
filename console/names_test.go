package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// The findings list names each row's identity (read in one query for the
// page), linking to it.
func TestFindingsPage_NamesEachRowsIdentity(t *testing.T) {
	f := newFixture(t)
	d := seedDetail(t, f)
	b := f.signIn(t, warden.RoleAuditor)
	status, page := b.get("/ui/findings")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	want := `<a class="identity-link" href="/ui/identities/` + d.identity.ID + `" title="` + d.identity.ID + `">payments-api</a>`
	if !strings.Contains(page, want) {
		t.Fatalf("the findings list lacks %s:\n%s", want, page)
	}
}
