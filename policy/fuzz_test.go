package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/warden-nhi/warden"
)

// FuzzCompile feeds arbitrary policy and schema text to Compile: it must
// return a set or problems, never panic, and a returned set must decide.
func FuzzCompile(f *testing.F) {
	for _, dir := range []string{"../examples/policies", "../examples/policies-strict"} {
		v, err := LoadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, text := range v.Policies {
			f.Add(text, v.Schema)
		}
	}
	f.Add(GuardrailsText, "")
	f.Add("permit (principal, action, resource) when { 1 + };", "entity Doc;")
	f.Fuzz(func(t *testing.T, text, schema string) {
		set, err := Compile(&warden.PolicyVersion{Schema: schema, Policies: map[string]string{"f.cedar": text}})
		if err != nil {
			if _, ok := err.(*ProblemsError); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		req, _ := parseRequest(&Request{Action: warden.EntityRef{ID: "a"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}})
		set.Decide(requestFor(IdentityUID("x"), req), &layered{})
	})
}

// FuzzParseRequest feeds arbitrary JSON to the request decoder.
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req Request
		if json.Unmarshal(data, &req) != nil {
			return
		}
		p, err := parseRequest(&req)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		set, _ := Compile(&warden.PolicyVersion{})
		set.Decide(requestFor(IdentityUID("x"), p), &layered{request: p.entities})
	})
}

// FuzzParseTestFile and FuzzParseHTTPMapping: decoders of files users write.
func FuzzParseTestFile(f *testing.F) {
	b, err := os.ReadFile("../examples/policies/tests/northwind.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = ParseTestFile(data) })
}

func FuzzParseHTTPMapping(f *testing.F) {
	b, err := os.ReadFile("../examples/http-actions.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "GET", "/api/payments")
	f.Fuzz(func(t *testing.T, data []byte, method, path string) {
		m, err := ParseHTTPMapping(data)
		if err != nil {
			return
		}
		_, _ = m.Request(HTTPRequest{Method: method, Path: path, Principal: "spiffe://x/y"})
	})
}
