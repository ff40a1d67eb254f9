package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// policyPush is the body of POST /v1/policies and /v1/policies/validate.
type policyPush struct {
	Description        string            `json:"description"`
	Policies           map[string]string `json:"policies"`
	Schema             string            `json:"schema"`
	DisabledGuardrails []string          `json:"disabled_guardrails"`
}

func (p *policyPush) version() *warden.PolicyVersion {
	return &warden.PolicyVersion{Description: p.Description, Policies: p.Policies, Schema: p.Schema, DisabledGuardrails: p.DisabledGuardrails}
}

// validation is the answer of POST /v1/policies/validate.
type validation struct {
	Valid    bool             `json:"valid"`
	Policies int              `json:"policies"` // policies in the set, guardrails included
	Problems []policy.Problem `json:"problems"`
}

// compileVersion compiles v, turning problems into an EINVALID error whose
// message lists them with their positions.
func compileVersion(v *warden.PolicyVersion) (*policy.Set, error) {
	set, err := policy.Compile(v)
	var pe *policy.ProblemsError
	if errors.As(err, &pe) {
		field := "policies"
		if pe.Problems[0].File == "schema.cedarschema" {
			field = "schema"
		} else if pe.Problems[0].File == policy.GuardrailsFile {
			field = "disabled_guardrails"
		}
		return nil, warden.FieldErrorf(field, "%s", pe.Error())
	}
	return set, err
}

func (s *Server) decodePush(w http.ResponseWriter, r *http.Request) (*policyPush, error) {
	if _, err := parseQuery(r, nil); err != nil {
		return nil, err
	}
	var req policyPush
	if err := s.decodeStrict(w, r, &req); err != nil {
		return nil, err
	}
	if err := checkText("description", req.Description, warden.MaxTextLen, false); err != nil {
		return nil, err
	}
	return &req, nil
}

func (s *Server) handleValidatePolicies(w http.ResponseWriter, r *http.Request) {
	req, err := s.decodePush(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := validation{Problems: []policy.Problem{}}
	set, err := policy.Compile(req.version())
	var pe *policy.ProblemsError
	switch {
	case errors.As(err, &pe):
		out.Problems = pe.Problems
	case err != nil:
		s.Error(w, r, err)
		return
	default:
		out.Valid, out.Policies = true, set.Len()
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handlePushPolicies(w http.ResponseWriter, r *http.Request) {
	if s.pdp.store == nil {
		s.Error(w, r, pdpUnavailable("policy store"))
		return
	}
	req, err := s.decodePush(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := req.version()
	if _, err := compileVersion(v); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.pdp.store.CreatePolicyVersion(r.Context(), v); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, v)
}

func (s *Server) handleListPolicies(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.store == nil {
		s.Error(w, r, pdpUnavailable("policy store"))
		return
	}
	list, err := s.pdp.store.FindPolicyVersions(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Items []*warden.PolicyVersion `json:"items"`
	}{list})
}

func (s *Server) policyVersionParam(r *http.Request) (int64, error) {
	raw, err := pathValue(r, "version")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < 1 {
		return 0, warden.FieldErrorf("version", "version must be a positive integer")
	}
	return v, nil
}

func (s *Server) handleGetPolicies(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.store == nil {
		s.Error(w, r, pdpUnavailable("policy store"))
		return
	}
	n, err := s.policyVersionParam(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.pdp.store.FindPolicyVersion(r.Context(), n)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

// emptyBody is the (optional, empty) body of activate and rollback.
type emptyBody struct{}

func (s *Server) handleActivatePolicies(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.decodeRequest(w, r, &emptyBody{}, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.store == nil {
		s.Error(w, r, pdpUnavailable("policy store"))
		return
	}
	n, err := s.policyVersionParam(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.pdp.store.FindPolicyVersion(r.Context(), n)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// Validated again: the version must compile with this binary's
	// schema and guardrails before anything is activated.
	if _, err := compileVersion(v); err != nil {
		s.Error(w, r, warden.Errorf(warden.ECONFLICT, "version %d cannot be activated: %s", n, warden.ErrorMessage(err)))
		return
	}
	a, err := s.pdp.store.ActivatePolicyVersion(r.Context(), n)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadPDP(r)
	s.writeJSON(w, r, http.StatusOK, a)
}

func (s *Server) handleRollbackPolicies(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.decodeRequest(w, r, &emptyBody{}, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.store == nil {
		s.Error(w, r, pdpUnavailable("policy store"))
		return
	}
	a, err := s.pdp.store.RollbackPolicyVersion(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadPDP(r)
	s.writeJSON(w, r, http.StatusOK, a)
}

// reloadPDP makes this replica's engine use the active version at once;
// the change feed carries it to the other replicas.
func (s *Server) reloadPDP(r *http.Request) {
	if err := s.pdp.engine.Reload(r.Context()); err != nil {
		s.logger.Warn("reload policy engine", "error", err)
	}
}

func (s *Server) handleListGuardrails(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Items []policy.Guardrail `json:"items"`
	}{policy.Guardrails()})
}
