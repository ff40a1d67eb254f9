package access

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// FuzzAccessInput feeds access requests as callers send them (JSON
// bodies; seeds in testdata/requests) through everything that reads them
// before anything is stored: duration parsing, scope validation, resource
// reference splitting, matching, read-only classification and the access
// policy. None of it may panic, and a scope that validates must render as
// OAuth scope tokens without spaces or quotes.
func FuzzAccessInput(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pol := DefaultPolicy()
	identity := &warden.Identity{ID: "id-1", Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/x", Name: "x",
		Owner: "team-a", Environment: "staging", Status: warden.StatusActive}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in warden.AccessInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		d, err := ParseDuration("duration", in.Duration)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("duration %q: error code %q", in.Duration, warden.ErrorCode(err))
			}
			d = 0
		}
		for _, r := range in.Scope.Resources {
			if typ, id, ok := warden.SplitResourceRef(r); ok && (typ == "" || id == "" || typ+"::"+id != r) {
				t.Fatalf("SplitResourceRef(%q) = %q, %q", r, typ, id)
			}
			in.Scope.Covers("write", "Bucket", r)
		}
		in.Scope.ReadOnly()
		if err := in.Scope.Validate(); err != nil {
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) == "" {
				t.Fatalf("scope error without code or field: %v", err)
			}
			return
		}
		for _, s := range in.Scope.Strings() {
			if s == "" || strings.ContainsAny(s, " \"\\") {
				t.Fatalf("scope token %q is not an OAuth scope-token", s)
			}
		}
		r := &warden.AccessRequest{IdentityID: identity.ID, Requester: "token:t", RequesterID: "t", RequesterKind: warden.RequesterPerson,
			Scope: in.Scope, DurationSeconds: int64(d.Seconds()), Reason: in.Reason, Task: in.Task, OnBehalfOf: in.OnBehalfOf}
		_ = r.Validate()
		pol.evaluate(r, identity)
	})
}

// FuzzParsePolicy feeds access policy files (--access-policy) to the
// parser: an error or a policy, never a panic; a policy it accepts decides
// a request without panicking.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(DefaultPolicyText))
	f.Add([]byte(`permit (principal, action == Action::"request", resource) when { context.duration_seconds < 60 };`))
	f.Add([]byte(`forbid (principal, action, resource) when { resource.owner like "*" };`))
	f.Add([]byte(`@id("x") permit (principal, action, resource); @id("x") forbid (principal, action, resource);`))
	identity := &warden.Identity{ID: "id-1", Kind: warden.KindWorkload, Provider: "warden", ExternalID: "x", Status: warden.StatusActive}
	r := &warden.AccessRequest{IdentityID: "id-1", RequesterID: "t", RequesterKind: warden.RequesterPerson,
		Scope: warden.AccessScope{Actions: []string{"get"}}, DurationSeconds: 600, Reason: "r"}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := ParsePolicy("fuzz.cedar", text)
		if err != nil {
			return
		}
		p.evaluate(r, identity)
	})
}
