package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// PolicyConfig wires the policy decision point into the API. Every field
// is optional: a nil store is taken from Config.Identities when the store
// there also implements it, and a nil Engine is a guardrails-only engine
// over Config.Identities (reloaded on activation, not following changes).
type PolicyConfig struct {
	Engine    *policy.Engine
	Store     warden.PolicyStore
	Entities  warden.EntityStore
	Decisions warden.DecisionLog
	// HTTP maps proxied requests (nginx auth_request) to actions.
	HTTP *policy.HTTPMapping
}

// pdpServices is the resolved PolicyConfig.
type pdpServices struct {
	engine    *policy.Engine
	store     warden.PolicyStore
	entities  warden.EntityStore
	decisions warden.DecisionLog
	http      *policy.HTTPMapping
}

func newPDPServices(cfg Config) pdpServices {
	p := pdpServices{engine: cfg.Policy.Engine, store: cfg.Policy.Store, entities: cfg.Policy.Entities, decisions: cfg.Policy.Decisions, http: cfg.Policy.HTTP}
	if p.store == nil {
		p.store, _ = cfg.Identities.(warden.PolicyStore)
	}
	if p.entities == nil {
		p.entities, _ = cfg.Identities.(warden.EntityStore)
	}
	if p.decisions == nil {
		p.decisions, _ = cfg.Identities.(warden.DecisionLog)
	}
	if p.engine == nil {
		pc := policy.Config{Identities: cfg.Identities, Credentials: cfg.Credentials, Policies: p.store, Entities: p.entities}
		if cfg.Enforcement != nil {
			pc.Enforcement = cfg.Enforcement
		}
		p.engine = policy.New(pc)
	}
	if p.http == nil {
		p.http = &policy.HTTPMapping{}
	}
	return p
}

// unavailable answers when a policy store the route needs is not wired.
func pdpUnavailable(what string) error {
	return warden.Errorf(codeUnavailable, "this server has no %s", what)
}

// maxBatch bounds the requests of one batch decision.
const maxBatch = 100

// decodeStrict reads one JSON value of r's body into dst, a struct with
// nested structs, rejecting unknown members at any depth.
func (s *Server) decodeStrict(w http.ResponseWriter, r *http.Request, dst any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return warden.Errorf(warden.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return warden.Errorf(warden.EINVALID, "cannot read request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return warden.Errorf(warden.EINVALID, "request body is empty; send a JSON object")
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return warden.Errorf(warden.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

// jsonError describes a decoding error, naming the member when it can.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := clip(typeErr.Field)
		if field == "" {
			return warden.Errorf(warden.EINVALID, "request body must be a JSON object")
		}
		return warden.FieldErrorf(field, "field %s must be %s, not a JSON %s", field, jsonTypeName(typeErr.Type), typeErr.Value)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := clip(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`))
		return warden.FieldErrorf(name, "unknown field %q", name)
	}
	return syntaxError(err)
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	req, err := s.decodeDecisionRequest(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.pdp.engine.Decide(r.Context(), req, "http")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeDecision(w, d)
}

// batchItem is one answer of a batch: a decision or the problem of its
// request.
type batchItem struct {
	*policy.Decision
	Error *Problem `json:"error,omitempty"`
}

func (s *Server) handleAuthorizeBatch(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	reqs, err := s.decodeBatchRequest(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := make([]batchItem, len(reqs))
	for i, req := range reqs {
		d, err := s.pdp.engine.Decide(r.Context(), req, "http")
		if err != nil {
			code := warden.ErrorCode(err)
			if ErrorStatus(code) >= 500 {
				s.Error(w, r, err)
				return
			}
			out[i].Error = &Problem{Type: ProblemTypeBase + code, Title: http.StatusText(ErrorStatus(code)), Status: ErrorStatus(code),
				Detail: warden.ErrorMessage(err), Code: code, Field: warden.ErrorField(err)}
			continue
		}
		out[i].Decision = d
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Decisions []batchItem `json:"decisions"`
	}{out})
}
