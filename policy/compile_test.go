package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

const testSchema = `entity Doc in [Folder] { classification: String };
entity Folder;
action read, write appliesTo {
  principal: [Identity],
  resource: [Doc, Folder],
  context: { source_ip?: String, token?: WardenToken }
};
`

func TestCompile_ValidVersionIncludesGuardrails(t *testing.T) {
	set, err := Compile(&warden.PolicyVersion{Version: 4, Schema: testSchema, Policies: map[string]string{
		"docs.cedar": `@id("read-docs")
permit (principal is Identity, action == Action::"read", resource is Doc)
when { principal.environment == "prod" && resource.classification != "secret" };

permit (principal in Team::"payments", action, resource in Folder::"ledger")
when { principal.hasTag("tier") && principal.getTag("tier") == "1" };`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if set.Version != 4 || set.Len() != 2+len(Guardrails()) {
		t.Fatalf("version %d, %d policies", set.Version, set.Len())
	}
	ids := map[string]bool{}
	for id := range set.All() {
		ids[string(id)] = true
	}
	for _, want := range []string{"read-docs", "docs.cedar#1", "guardrail.quarantined", "guardrail.token-revoked"} {
		if !ids[want] {
			t.Errorf("policy %s missing from %v", want, ids)
		}
	}
}

func TestCompile_DisabledGuardrailIsLeftOut(t *testing.T) {
	set, err := Compile(&warden.PolicyVersion{DisabledGuardrails: []string{"guardrail.disabled"}})
	if err != nil {
		t.Fatal(err)
	}
	for id := range set.All() {
		if id == "guardrail.disabled" {
			t.Fatal("disabled guardrail still in the set")
		}
	}
	if set.Len() != len(Guardrails())-1 {
		t.Fatalf("%d policies", set.Len())
	}
}

// TestCompile_RejectsWithPositions checks that every kind of invalid
// version is refused as a whole, each problem with its file and position.
func TestCompile_RejectsWithPositions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		version  warden.PolicyVersion
		want     []string // substrings of Problem.String(), in order
		problems int
	}{
		{
			name: "SyntaxError",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"a.cedar": "permit (principal, action, resource);\n\nforbid (principal, acton, resource);",
			}},
			want: []string{"a.cedar:3:"}, problems: 1,
		},
		{
			name: "UnknownAttribute",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"a.cedar": "permit (principal, action, resource);\n\n  permit (principal is Identity, action == Action::\"read\", resource is Doc)\n  when { resource.colour == \"red\" };",
			}},
			want: []string{"a.cedar:3:3: policy a.cedar#1:", "colour"}, problems: 1,
		},
		{
			name: "UnknownAction",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"b.cedar": `permit (principal, action == Action::"delete", resource);`,
			}},
			want: []string{"b.cedar:1:1:", "delete"}, problems: 2,
		},
		{
			name: "WrongType",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"c.cedar": `permit (principal is Identity, action == Action::"read", resource is Doc) when { principal.credential_age_days == "old" };`,
			}},
			want: []string{"c.cedar:1:1:"}, problems: 1,
		},
		{
			name: "DuplicateAndReservedIDs",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"d.cedar": "@id(\"x\")\npermit (principal, action, resource);\n@id(\"x\")\nforbid (principal, action, resource);\n@id(\"guardrail.mine\")\npermit (principal, action, resource);",
			}},
			want: []string{"d.cedar:3:1: policy x: policy id is already used at d.cedar:1:1", "d.cedar:5:1: policy guardrail.mine"}, problems: 2,
		},
		{
			name:    "BadSchema",
			version: warden.PolicyVersion{Schema: "entity Doc {\n  owner: Strin\n};", Policies: map[string]string{}},
			want:    []string{"schema.cedarschema"}, problems: 1,
		},
		{
			name:    "SchemaClashesWithWarden",
			version: warden.PolicyVersion{Schema: "entity Identity;", Policies: map[string]string{}},
			want:    []string{"schema.cedarschema"}, problems: 1,
		},
		{
			name:    "BadFileName",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{"../x.txt": "permit (principal, action, resource);"}},
			want:    []string{"../x.txt: file name"}, problems: 1,
		},
		{
			name:    "UnknownGuardrail",
			version: warden.PolicyVersion{Schema: testSchema, DisabledGuardrails: []string{"guardrail.nope"}},
			want:    []string{"guardrail.nope"}, problems: 1,
		},
		{
			name: "ErrorsInTwoFiles",
			version: warden.PolicyVersion{Schema: testSchema, Policies: map[string]string{
				"a.cedar": "permit (principal, action, resource) when { 1 + };",
				"b.cedar": "permit (principal, action, resource);\npermit (principal, action == Action::\"nope\", resource);",
			}},
			want: []string{"a.cedar:1:", "b.cedar:2:1:"}, problems: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Compile(&tc.version)
			if set != nil {
				t.Fatal("an invalid version compiled")
			}
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProblemsError", err)
			}
			if len(pe.Problems) != tc.problems {
				t.Fatalf("%d problems, want %d: %v", len(pe.Problems), tc.problems, pe)
			}
			text := pe.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(text[at:], w)
				if i < 0 {
					t.Fatalf("problems %q lack %q (in order)", text, w)
				}
				at += i
			}
		})
	}
}

func TestGuardrails_AreVisibleAndValidAgainstWardenSchema(t *testing.T) {
	g := Guardrails()
	if len(g) < 6 {
		t.Fatalf("%d guardrails", len(g))
	}
	for _, r := range g {
		if !strings.HasPrefix(r.ID, "guardrail.") || r.Description == "" || !strings.Contains(r.Text, "forbid") {
			t.Errorf("guardrail %+v", r)
		}
	}
}
