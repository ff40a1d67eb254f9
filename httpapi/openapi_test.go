package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// openAPIDoc is the part of the OpenAPI document the tests check.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                `json:"operationId"`
	Permission  *string               `json:"x-warden-permission"`
	Security    []map[string][]string `json:"security"`
	Parameters  []struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *json.RawMessage           `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

// openAPIPath turns a ServeMux pattern into an OpenAPI path template:
// "{name...}" becomes "{name}" and a trailing "{$}" is dropped.
func openAPIPath(pattern string) string {
	pattern = strings.TrimSuffix(pattern, "{$}")
	return regexp.MustCompile(`\{([A-Za-z0-9_]+)\.\.\.\}`).ReplaceAllString(pattern, "{$1}")
}

func TestOpenAPI_MatchesRouter(t *testing.T) {
	e := newTestEnv(t)
	resp := e.do(t, request{method: "GET", path: "/v1/openapi.json", token: e.tokens[warden.RoleAuditor]})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc openAPIDoc
	resp.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearer = %+v, want http bearer", b)
	}

	params := map[string]struct{ Name, In string }{}
	var raw struct {
		Components struct {
			Parameters map[string]struct{ Name, In string } `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(resp.body, &raw); err != nil {
		t.Fatal(err)
	}
	for name, p := range raw.Components.Parameters {
		params["#/components/parameters/"+name] = p
	}

	router := map[string]Route{}
	for _, rt := range e.srv.Routes() {
		router[strings.ToLower(rt.Method)+" "+openAPIPath(rt.Pattern)] = rt
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[method+" "+path] = op
		}
	}
	for key, rt := range router {
		op, ok := documented[key]
		if !ok {
			t.Errorf("route %s %s is missing from openapi.json", rt.Method, rt.Pattern)
			continue
		}
		t.Run(key, func(t *testing.T) {
			if op.Permission == nil || warden.Permission(*op.Permission) != rt.Permission {
				t.Errorf("x-warden-permission = %v, router requires %q", op.Permission, rt.Permission)
			}
			if public := len(op.Security) == 0; public != (rt.Permission == "") {
				t.Errorf("security = %v, but route permission is %q", op.Security, rt.Permission)
			}
			if rt.Permission != "" {
				codes := []string{"401", "403"}
				if isOAuthRoute(rt.Pattern) {
					codes = []string{"401"} // a refused client is 400 unauthorized_client (RFC 6749)
				}
				for _, code := range codes {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("no %s response documented", code)
					}
				}
			}
			if (rt.Method == "POST" || rt.Method == "PATCH") != (op.RequestBody != nil) {
				t.Errorf("requestBody documented = %v for method %s", op.RequestBody != nil, rt.Method)
			}
			// Every path wildcard is a documented path parameter and vice versa.
			var want, got []string
			for _, m := range regexp.MustCompile(`\{([A-Za-z0-9_]+)`).FindAllStringSubmatch(rt.Pattern, -1) {
				want = append(want, m[1])
			}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p.Name, p.In = params[p.Ref].Name, params[p.Ref].In
					if p.Name == "" {
						t.Errorf("parameter $ref %s does not resolve", p.Ref)
					}
				}
				if p.In == "path" {
					got = append(got, p.Name)
				}
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("path parameters = %v, pattern has %v", got, want)
			}
		})
	}
	for key := range documented {
		if _, ok := router[key]; !ok {
			t.Errorf("openapi.json documents %s, which the router lacks", key)
		}
	}
}

// TestOpenAPI_RefsResolve checks that every $ref in the document points at
// something that exists.
func TestOpenAPI_RefsResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if ref, ok := child.(string); ok && k == "$ref" {
					if resolve(doc, ref) == nil {
						t.Errorf("$ref %s does not resolve", ref)
					}
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(doc)
}

func resolve(doc any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	cur := doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

func TestOpenAPIPath(t *testing.T) {
	for pattern, want := range map[string]string{
		"/v1/identities/{ref}":        "/v1/identities/{ref}",
		"/v1/files/{path...}":         "/v1/files/{path}",
		"/v1/{$}":                     "/v1/",
		"/v1/identities/{ref}/deprov": "/v1/identities/{ref}/deprov",
	} {
		if got := openAPIPath(pattern); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", pattern, got, want)
		}
	}
}
