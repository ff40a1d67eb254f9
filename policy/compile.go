// Package policy is warden's policy decision point (PDP): Cedar policies
// (github.com/cedar-policy/cedar-go) validated against a schema, principals
// enriched with what warden knows about them (owner, status, findings,
// credential age, token claims), built-in guardrails, an index that
// evaluates only the policies whose scope can match a request, a decision
// log, policy tests and what-if replay.
package policy

import (
	_ "embed"
	"fmt"
	"iter"
	"regexp"
	"sort"
	"strconv"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"

	"github.com/warden-nhi/warden"
)

// WardenSchema is the schema fragment warden appends to every policy
// version's schema: the Identity and Team entities and the WardenToken type.
//
//go:embed warden.cedarschema
var WardenSchema string

// GuardrailsText is the Cedar source of the built-in guardrail policies.
//
//go:embed guardrails.cedar
var GuardrailsText string

// GuardrailsFile is the file name guardrail policies report positions in.
const GuardrailsFile = "guardrails.cedar"

// Limits on policy versions.
const (
	MaxPolicyFiles  = 256
	MaxPolicyBytes  = 4 << 20 // all files together
	MaxSchemaBytes  = 1 << 20
	maxFileNameLen  = 128
	maxPolicyIDLen  = 256
	maxProblemsShow = 20
)

// Problem is one error in a policy version, with its position.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Policy  string `json:"policy,omitempty"`
	Message string `json:"message"`
}

// String renders the problem as "file:line:column: message".
func (p Problem) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
	}
	if p.Policy != "" {
		return s + ": policy " + p.Policy + ": " + p.Message
	}
	return s + ": " + p.Message
}

// ProblemsError is the error of a policy version that does not compile.
type ProblemsError struct{ Problems []Problem }

func (e *ProblemsError) Error() string {
	parts := make([]string, 0, min(len(e.Problems), maxProblemsShow))
	for i, p := range e.Problems {
		if i == maxProblemsShow {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Problems)-i))
			break
		}
		parts = append(parts, p.String())
	}
	return "policy set is invalid: " + strings.Join(parts, "; ")
}

// Set is a compiled, validated policy set ready for decisions: the user's
// policies plus the enabled guardrails, indexed by scope.
type Set struct {
	Version  int64
	policies []namedPolicy
	index    *index
}

type namedPolicy struct {
	id     cedar.PolicyID
	policy *cedar.Policy
	file   string
}

// Len returns the number of policies, guardrails included.
func (s *Set) Len() int { return len(s.policies) }

// All implements cedar.PolicyIterator over every policy of the set; it is
// what a bare cedar.Authorize would evaluate.
func (s *Set) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, p := range s.policies {
			if !yield(p.id, p.policy) {
				return
			}
		}
	}
}

// PolicySet returns the policies as a cedar.PolicySet, for tools and for
// benchmarks against the bare engine.
func (s *Set) PolicySet() *cedar.PolicySet {
	ps := cedar.NewPolicySet()
	for _, p := range s.policies {
		ps.Add(p.id, p.policy)
	}
	return ps
}

// Guardrail is a built-in policy as shown to operators.
type Guardrail struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Text        string `json:"text"`
}

// Guardrails returns the built-in guardrail policies.
func Guardrails() []Guardrail {
	list, err := parseFile(GuardrailsFile, GuardrailsText)
	if err != nil {
		panic("policy: built-in guardrails do not parse: " + err.Error())
	}
	out := make([]Guardrail, len(list))
	for i, p := range list {
		out[i] = Guardrail{ID: string(p.id), Description: string(p.policy.Annotations()["description"]), Text: string(p.policy.MarshalCedar())}
	}
	return out
}

var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*\.cedar$`)

// Compile parses and validates a policy version against its schema
// (appended with WardenSchema) and indexes it together with the enabled
// guardrails. All problems are reported, each with its position; nothing
// is returned unless the whole version is valid.
func Compile(v *warden.PolicyVersion) (*Set, error) {
	var problems []Problem
	total := 0
	for name, text := range v.Policies {
		total += len(text)
		if len(name) > maxFileNameLen || !fileNameRE.MatchString(name) || strings.Contains(name, "..") || name == GuardrailsFile {
			problems = append(problems, Problem{File: clip(name), Message: "file name must be letters, digits, '.', '_', '-' or '/', end in .cedar, and not be " + GuardrailsFile})
		}
	}
	if len(v.Policies) > MaxPolicyFiles {
		problems = append(problems, Problem{Message: fmt.Sprintf("at most %d policy files are allowed, got %d", MaxPolicyFiles, len(v.Policies))})
	}
	if total > MaxPolicyBytes {
		problems = append(problems, Problem{Message: fmt.Sprintf("policies total %d bytes, more than %d", total, MaxPolicyBytes)})
	}
	if len(v.Schema) > MaxSchemaBytes {
		problems = append(problems, Problem{File: "schema.cedarschema", Message: fmt.Sprintf("schema is larger than %d bytes", MaxSchemaBytes)})
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{problems}
	}
	validator, schemaProblems := compileSchema(v.Schema)
	problems = append(problems, schemaProblems...)

	disabled := map[string]bool{}
	known := map[string]bool{}
	for _, g := range Guardrails() {
		known[g.ID] = true
	}
	for _, id := range v.DisabledGuardrails {
		if !known[id] {
			problems = append(problems, Problem{File: GuardrailsFile, Message: fmt.Sprintf("disabled_guardrails names %q, which is not a guardrail", clip(id))})
		}
		disabled[id] = true
	}

	names := make([]string, 0, len(v.Policies))
	for n := range v.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []namedPolicy
	seen := map[cedar.PolicyID]Problem{}
	for _, name := range names {
		list, err := parseFile(name, v.Policies[name])
		if err != nil {
			problems = append(problems, parseProblem(name, err))
			continue
		}
		for _, p := range list {
			pos := p.policy.Position()
			if first, dup := seen[p.id]; dup {
				problems = append(problems, Problem{File: name, Line: pos.Line, Column: pos.Column, Policy: string(p.id),
					Message: "policy id is already used at " + first.String()})
				continue
			}
			seen[p.id] = Problem{File: name, Line: pos.Line, Column: pos.Column}
			if strings.HasPrefix(string(p.id), "guardrail.") {
				problems = append(problems, Problem{File: name, Line: pos.Line, Column: pos.Column, Policy: string(p.id), Message: "policy ids starting with \"guardrail.\" are reserved for built-in guardrails"})
				continue
			}
			if validator != nil {
				if err := validator.Policy("", (*xast.Policy)(p.policy.AST())); err != nil {
					for _, msg := range splitErrors(err) {
						problems = append(problems, Problem{File: name, Line: pos.Line, Column: pos.Column, Policy: string(p.id), Message: msg})
					}
				}
			}
			all = append(all, p)
		}
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{problems}
	}
	guards, _ := parseFile(GuardrailsFile, GuardrailsText)
	for _, g := range guards {
		if !disabled[string(g.id)] {
			all = append(all, g)
		}
	}
	return newSet(v.Version, all), nil
}

// newSet indexes policies into a Set.
func newSet(version int64, policies []namedPolicy) *Set {
	return &Set{Version: version, policies: policies, index: buildIndex(policies)}
}

// compileSchema parses the user's schema with warden's fragment appended
// (after it, so that positions in the user's text stay true) and returns a
// validator for it.
func compileSchema(text string) (*validate.Validator, []Problem) {
	var s schema.Schema
	s.SetFilename("schema.cedarschema")
	if err := s.UnmarshalCedar([]byte(text + "\n" + WardenSchema)); err != nil {
		return nil, []Problem{schemaProblem(text, err)}
	}
	resolved, err := s.Resolve()
	if err != nil {
		return nil, []Problem{schemaProblem(text, err)}
	}
	return validate.New(resolved), nil
}

var positionRE = regexp.MustCompile(`(?:<input>|[A-Za-z0-9_./-]*\.cedar(?:schema)?):(\d+):(\d+):? ?`)

// schemaProblem turns a schema error into a Problem; a position past the
// user's text lies in warden's fragment, which the user cannot fix, so it
// is reported against the user's schema as a clash.
func schemaProblem(userText string, err error) Problem {
	p := Problem{File: "schema.cedarschema", Message: err.Error()}
	if m := positionRE.FindStringSubmatch(p.Message); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column, _ = strconv.Atoi(m[2])
		p.Message = strings.TrimSpace(strings.Replace(p.Message, m[0], "", 1))
		if userLines := strings.Count(userText, "\n") + 1; p.Line > userLines {
			p.Message = "clashes with warden's built-in schema (Identity, Team, WardenToken are reserved): " + p.Message
			p.Line, p.Column = 0, 0
		}
	}
	return p
}

// parseFile parses one file of Cedar policies and names each policy by
// its @id annotation, or "<file>#<n>" (n counting from 0).
func parseFile(name, text string) ([]namedPolicy, error) {
	list, err := cedar.NewPolicyListFromBytes(name, []byte(text))
	if err != nil {
		return nil, err
	}
	out := make([]namedPolicy, len(list))
	for i, p := range list {
		id := cedar.PolicyID(name + "#" + strconv.Itoa(i))
		if a, ok := p.Annotations()["id"]; ok && a != "" && len(a) <= maxPolicyIDLen {
			id = cedar.PolicyID(a)
		}
		out[i] = namedPolicy{id: id, policy: p, file: name}
	}
	return out, nil
}

// parseProblem turns a parser error ("parser error: parse error at
// <input>:3:24 ...") into a Problem with its position.
func parseProblem(name string, err error) Problem {
	p := Problem{File: name, Message: err.Error()}
	if m := positionRE.FindStringSubmatch(p.Message); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column, _ = strconv.Atoi(m[2])
		p.Message = strings.TrimSpace(strings.Replace(p.Message, m[0], "", 1))
	}
	p.Message = strings.TrimPrefix(strings.TrimPrefix(p.Message, "parser error: "), "parse error at ")
	return p
}

func splitErrors(err error) []string {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range u.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
