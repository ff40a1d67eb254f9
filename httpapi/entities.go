package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// maxEntitiesPerPut bounds one PUT of policy entities.
const maxEntitiesPerPut = 1000

// entityPut is the body of POST /v1/entities.
type entityPut struct {
	Entities []struct {
		Type    string             `json:"type"`
		ID      string             `json:"id"`
		Parents []warden.EntityRef `json:"parents"`
		Attrs   json.RawMessage    `json:"attrs"`
	} `json:"entities"`
}

func (s *Server) handleListEntities(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.entities == nil {
		s.Error(w, r, pdpUnavailable("entity store"))
		return
	}
	list, err := s.pdp.entities.FindPolicyEntities(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Items []*warden.PolicyEntity `json:"items"`
	}{list})
}

func (s *Server) handlePutEntities(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req entityPut
	if err := s.decodeStrict(w, r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.entities == nil {
		s.Error(w, r, pdpUnavailable("entity store"))
		return
	}
	if len(req.Entities) == 0 || len(req.Entities) > maxEntitiesPerPut {
		s.Error(w, r, warden.FieldErrorf("entities", "entities must hold 1-%d entities", maxEntitiesPerPut))
		return
	}
	list := make([]*warden.PolicyEntity, len(req.Entities))
	seen := map[warden.EntityRef]bool{}
	for i, e := range req.Entities {
		pe := &warden.PolicyEntity{Type: e.Type, ID: e.ID, Parents: e.Parents, Attrs: e.Attrs}
		if err := policy.ValidateEntity(pe); err != nil {
			s.Error(w, r, warden.FieldErrorf("entities."+warden.ErrorField(err), "entity %d: %s", i, warden.ErrorMessage(err)))
			return
		}
		ref := warden.EntityRef{Type: e.Type, ID: e.ID}
		if seen[ref] {
			s.Error(w, r, warden.FieldErrorf("entities", "entity %s::%q appears more than once", clip(e.Type), clip(e.ID)))
			return
		}
		seen[ref] = true
		list[i] = pe
	}
	if err := s.pdp.entities.PutPolicyEntities(r.Context(), list); err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadPDP(r)
	s.writeJSON(w, r, http.StatusOK, struct {
		Items []*warden.PolicyEntity `json:"items"`
	}{list})
}

func (s *Server) handleDeleteEntity(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	typ, err := pathValue(r, "type")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.entities == nil {
		s.Error(w, r, pdpUnavailable("entity store"))
		return
	}
	if err := s.pdp.entities.DeletePolicyEntity(r.Context(), warden.EntityRef{Type: typ, ID: id}); err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadPDP(r)
	w.WriteHeader(http.StatusNoContent)
}
