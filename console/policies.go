package console

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-nhi/warden"
)

// diffContext is how many unchanged lines the policy diff keeps around
// each change.
const diffContext = 3

// policiesPage is the data of the policy version list.
type policiesPage struct {
	Versions []*warden.PolicyVersion
}

func (s *Server) handlePolicies(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Policies == nil {
		s.unavailable(w, r, "The policy store")
		return
	}
	versions, err := s.cfg.Policies.FindPolicyVersions(r.Context())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "policies", view{Title: "Policies", Nav: "policies", Data: policiesPage{Versions: versions}})
}

// policyPage is the data of one policy version's page.
type policyPage struct {
	Version  *warden.PolicyVersion
	Files    []policyFile
	Previous *warden.PolicyVersion // nil for the first version
	Diff     []diffLine
	Changed  bool // the diff has at least one added or deleted line
}

// policyFile is one Cedar file of a version.
type policyFile struct{ Name, Text string }

func (s *Server) handlePolicy(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Policies == nil {
		s.unavailable(w, r, "The policy store")
		return
	}
	raw := r.PathValue("version")
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		s.renderError(w, r, warden.FieldErrorf("version", "The policy version %q is not a positive whole number.", clip(raw)))
		return
	}
	v, err := s.cfg.Policies.FindPolicyVersion(r.Context(), n)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := policyPage{Version: v}
	for _, name := range slices.Sorted(maps.Keys(v.Policies)) {
		page.Files = append(page.Files, policyFile{Name: name, Text: v.Policies[name]})
	}
	// Versions are numbered one above the highest, so the previous one is
	// n-1; it is missing only for the first version.
	var before string
	if n > 1 {
		prev, err := s.cfg.Policies.FindPolicyVersion(r.Context(), n-1)
		switch warden.ErrorCode(err) {
		case "":
			page.Previous, before = prev, policySource(prev)
		case warden.ENOTFOUND:
		default:
			s.renderError(w, r, err)
			return
		}
	}
	diff := lineDiff(splitLines(before), splitLines(policySource(v)))
	page.Changed = slices.ContainsFunc(diff, func(l diffLine) bool { return l.Kind != "ctx" })
	page.Diff = collapseContext(diff, diffContext)
	s.render(w, r, http.StatusOK, "policy", view{Title: "Policy version " + raw, Nav: "policies", Data: page})
}

// policySource is a version as one text to diff: its files in name order,
// each under a comment naming it, then its schema and the guardrails it
// switches off, so that the diff shows every change a version makes.
func policySource(v *warden.PolicyVersion) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(v.Policies)) {
		b.WriteString("// file " + name + "\n")
		b.WriteString(v.Policies[name])
		if !strings.HasSuffix(v.Policies[name], "\n") {
			b.WriteString("\n")
		}
	}
	if v.Schema != "" {
		b.WriteString("// schema\n" + v.Schema)
		if !strings.HasSuffix(v.Schema, "\n") {
			b.WriteString("\n")
		}
	}
	if len(v.DisabledGuardrails) > 0 {
		b.WriteString("// disabled guardrails: " + strings.Join(v.DisabledGuardrails, ", ") + "\n")
	}
	return b.String()
}
