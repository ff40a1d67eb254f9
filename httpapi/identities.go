package httpapi

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// identityCreate is the body of POST /v1/identities.
type identityCreate struct {
	Kind         warden.IdentityKind `json:"kind"`
	Provider     warden.Provider     `json:"provider"`
	ExternalID   string              `json:"external_id"`
	Name         string              `json:"name"`
	Owner        string              `json:"owner"`
	Purpose      string              `json:"purpose"`
	Environment  string              `json:"environment"`
	Labels       map[string]string   `json:"labels"`
	Status       warden.Status       `json:"status"`
	StatusReason string              `json:"status_reason"`
	Managed      *bool               `json:"managed"`
	NextReviewAt *time.Time          `json:"next_review_at"`
	FirstSeenAt  *time.Time          `json:"first_seen_at"`
	LastUsedAt   *time.Time          `json:"last_used_at"`
}

// identity returns the validated identity the request describes.
func (c *identityCreate) identity() (*warden.Identity, error) {
	identity := &warden.Identity{
		Kind:         c.Kind,
		Provider:     c.Provider,
		ExternalID:   c.ExternalID,
		Name:         c.Name,
		Owner:        c.Owner,
		Purpose:      c.Purpose,
		Environment:  c.Environment,
		Labels:       c.Labels,
		Status:       c.Status,
		StatusReason: c.StatusReason,
		Managed:      c.Managed == nil || *c.Managed,
		NextReviewAt: c.NextReviewAt,
		FirstSeenAt:  c.FirstSeenAt,
		LastUsedAt:   c.LastUsedAt,
	}
	if err := identity.Validate(); err != nil {
		return nil, err
	}
	return identity, nil
}

// decodeIdentityCreate decodes and validates a create body.
func decodeIdentityCreate(contentType string, body io.Reader) (*warden.Identity, error) {
	var req identityCreate
	if err := decodeBody(contentType, body, &req, decodeOptions{allowNull: true}); err != nil {
		return nil, err
	}
	return req.identity()
}

// identityPatch is the body of PATCH /v1/identities/{ref}.
type identityPatch struct {
	Name         *string            `json:"name"`
	Owner        *string            `json:"owner"`
	Purpose      *string            `json:"purpose"`
	Environment  *string            `json:"environment"`
	Labels       *map[string]string `json:"labels"`
	Status       *warden.Status     `json:"status"`
	StatusReason *string            `json:"status_reason"`
	NextReviewAt optionalTime       `json:"next_review_at"` // null clears the review date
	Managed      *bool              `json:"managed"`
}

// decodeIdentityPatch decodes and validates a PATCH body; an update that
// changes nothing is EINVALID.
func decodeIdentityPatch(contentType string, body io.Reader) (warden.IdentityUpdate, error) {
	var req identityPatch
	if err := decodeBody(contentType, body, &req, decodeOptions{}); err != nil {
		return warden.IdentityUpdate{}, err
	}
	upd := warden.IdentityUpdate{
		Name:         req.Name,
		Owner:        req.Owner,
		Purpose:      req.Purpose,
		Environment:  req.Environment,
		Labels:       req.Labels,
		Status:       req.Status,
		StatusReason: req.StatusReason,
		Managed:      req.Managed,
	}
	if req.NextReviewAt.Set {
		if req.NextReviewAt.Null {
			upd.ClearNextReview = true
		} else {
			t := req.NextReviewAt.Time
			upd.NextReviewAt = &t
		}
	}
	if upd.Empty() {
		return upd, warden.Errorf(warden.EINVALID, "the update changes nothing; send at least one field")
	}
	return upd, upd.Validate()
}

// deprovisionRequest is the optional body of POST .../deprovision.
type deprovisionRequest struct {
	Reason string `json:"reason"`
}

var identityListParams = []string{
	"kind", "provider", "owner", "unowned", "status", "environment", "managed",
	"label", "q", "sort", "cursor", "limit", "min_risk",
}

func (s *Server) handleListIdentities(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, identityListParams, "label")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter := warden.IdentityFilter{
		Kind:        warden.IdentityKind(q.get("kind")),
		Provider:    warden.Provider(q.get("provider")),
		Owner:       q.get("owner"),
		Status:      warden.Status(q.get("status")),
		Environment: q.get("environment"),
		Query:       q.get("q"),
		Sort:        q.get("sort"),
		Cursor:      q.get("cursor"),
	}
	unowned, err := q.boolean("unowned")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter.Unowned = unowned != nil && *unowned
	if filter.Managed, err = q.boolean("managed"); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Labels, err = q.labels("label"); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if v := q.get("min_risk"); v != "" {
		if filter.MinRisk, err = strconv.Atoi(v); err != nil {
			s.Error(w, r, warden.FieldErrorf("min_risk", "min_risk must be a whole number between 0 and 100"))
			return
		}
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.identities.FindIdentities(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleCreateIdentity(w http.ResponseWriter, r *http.Request) {
	identity, err := decodeIdentityCreate(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.identities.CreateIdentity(r.Context(), identity); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/identities/"+url.PathEscape(identity.ID))
	s.writeJSON(w, r, http.StatusCreated, identity)
}

// findIdentity resolves the {ref} path value, an identity id or external
// id, narrowed by the optional provider query parameter.
func (s *Server) findIdentity(r *http.Request, q queryParams) (*warden.Identity, error) {
	ref, err := pathValue(r, "ref")
	if err != nil {
		return nil, err
	}
	provider := warden.Provider(q.get("provider"))
	if provider != "" && !provider.Valid() {
		return nil, warden.FieldErrorf("provider", "provider %q is not a valid provider name", clip(string(provider)))
	}
	return s.identities.FindIdentityByRef(r.Context(), ref, provider)
}

func (s *Server) handleGetIdentity(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"provider"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, identity)
}

func (s *Server) handleUpdateIdentity(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"provider"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	upd, err := decodeIdentityPatch(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err = s.identities.UpdateIdentity(r.Context(), identity.ID, upd)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, identity)
}

func (s *Server) handleDeprovisionIdentity(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"provider"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req deprovisionRequest
	if err := s.decodeRequest(w, r, &req, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := checkText("reason", req.Reason, warden.MaxTextLen, false); err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err = s.identities.DeprovisionIdentity(r.Context(), identity.ID, req.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, identity)
}
