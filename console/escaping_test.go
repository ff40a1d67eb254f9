package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// Text that comes from outside (identity names, purposes, labels, owners)
// is escaped on every page that shows it: a hostile name never becomes
// markup.
func TestPages_EscapeOutsideText(t *testing.T) {
	f := newFixture(t)
	const hostile = `"><img src=x onerror=alert(1)><script>alert(2)</script>`
	id := seedIdentity(t, f, warden.Identity{Kind: warden.KindBot, Provider: "slack", ExternalID: "B-" + "x", Name: "bot" + hostile,
		Purpose: "purpose" + hostile, Owner: "owner" + hostile, Labels: map[string]string{"app": "v" + strings.ReplaceAll(hostile, "\"", "")}})
	b := f.signIn(t, warden.RoleAuditor)
	for _, path := range []string{"/ui/identities", "/ui/identities?q=bot", "/ui/identities/" + id.ID, "/ui/audit"} {
		status, page := b.get(path)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", path, status)
		}
		for _, raw := range []string{"<img src=x", "<script>alert", `"><img`} {
			if strings.Contains(page, raw) {
				t.Errorf("%s: outside text %q reached the page unescaped", path, raw)
			}
		}
		// The audit page shows JSON, where encoding/json has already
		// written < as \u003c; the other pages show the text escaped.
		if path != "/ui/audit" && !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the escaped name is missing", path)
		}
	}
}
