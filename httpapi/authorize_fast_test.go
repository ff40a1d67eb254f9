package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// checkDecisionJSON asserts that appendDecision writes what json.Marshal
// writes for d.
func checkDecisionJSON(t *testing.T, d *policy.Decision) {
	t.Helper()
	want, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendDecision(nil, d); string(got) != string(want) {
		t.Fatalf("appendDecision:\n got %s\nwant %s", got, want)
	}
}

func TestAppendDecision_SameAsEncodingJSON(t *testing.T) {
	for name, d := range map[string]*policy.Decision{
		"Allow": {ID: "01a2", Decision: "allow", Policies: []string{"payments-read-secrets"}, Errors: []string{}, PolicyVersion: 7,
			Principal: warden.EntityRef{Type: "Identity", ID: "id-1"}, IdentityID: "id-1"},
		"DefaultDenyNoIdentity": {ID: "x", Decision: "deny", Policies: []string{}, Errors: []string{}, Principal: warden.EntityRef{Type: "Service", ID: "s"}},
		"NilLists":              {ID: "x", Decision: "deny"},
		"Escapes": {ID: "\"q\\ <b>&amp;</b>", Decision: "deny", Policies: []string{"a", "b\u2028c\u2029"},
			Errors:        []string{"policy p: entity `Secret::\"db\"` does not exist\n\t\r\b\f\x00\x1f\x7f", "\xff\xfe bad utf-8 \xe2\x82", "émoji 😀"},
			PolicyVersion: -1, Principal: warden.EntityRef{Type: "Identity", ID: "system:serviceaccount:ns:a/b"}},
	} {
		t.Run(name, func(t *testing.T) { checkDecisionJSON(t, d) })
	}
}

// FuzzAppendDecision_SameAsEncodingJSON compares the hand-written encoder
// with encoding/json on arbitrary strings.
func FuzzAppendDecision_SameAsEncodingJSON(f *testing.F) {
	f.Add("01a2", "policy p: <x> & \"y\"", "system:serviceaccount:ns:a", int64(3))
	f.Add("\xff\u2028", "\x00\x1f", "é", int64(-5))
	f.Fuzz(func(t *testing.T, id, errText, principal string, version int64) {
		checkDecisionJSON(t, &policy.Decision{ID: id, Decision: "deny", Policies: []string{principal, id}, Errors: []string{errText},
			PolicyVersion: version, Principal: warden.EntityRef{Type: "Identity", ID: principal}, IdentityID: principal})
	})
}

// TestWriteDecision_LikeWriteJSON: the answer has writeJSON's status,
// content type and body.
func TestWriteDecision_LikeWriteJSON(t *testing.T) {
	d := &policy.Decision{ID: "i", Decision: "allow", Policies: []string{"p"}, Errors: []string{}, Principal: warden.EntityRef{Type: "Identity", ID: "a<b"}}
	got := httptest.NewRecorder()
	writeDecision(got, d)
	want := httptest.NewRecorder()
	(&Server{}).writeJSON(want, httptest.NewRequest("POST", "/v1/authorize", nil), 200, d)
	if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Body.String() != want.Body.String() {
		t.Fatalf("writeDecision: %d %q %q; writeJSON: %d %q %q", got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
	}
}
