package httpapi

import (
	"context"
	"net/http"

	"github.com/warden-nhi/warden"
)

// Review campaigns: start, progress, items, answers.

// requireReviews answers 503 when no review service is wired.
func (s *Server) requireReviews(w http.ResponseWriter, r *http.Request) bool {
	if s.reviews == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "review campaigns are not configured on this server"))
		return false
	}
	return true
}

func (s *Server) handleStartReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in warden.ReviewInput
	if err := s.decodeRequest(w, r, &in, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.reviews.StartReview(r.Context(), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, c)
}

var reviewListParams = []string{"status", "cursor", "limit"}

func (s *Server) handleListReviews(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	q, err := parseQuery(r, reviewListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.ReviewCampaignFilter{Status: warden.CampaignStatus(q.get("status")), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.reviews.FindReviewCampaigns(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleGetReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveByID(s, w, r, s.reviews.FindReviewCampaign)
}

var reviewItemParams = []string{"owner", "status", "open", "identity", "provider", "cursor", "limit"}

func (s *Server) handleListReviewItems(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	q, err := parseQuery(r, reviewItemParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := s.reviews.FindReviewCampaign(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.ReviewItemFilter{CampaignID: id, Owner: q.get("owner"), Status: warden.ReviewItemStatus(q.get("status")), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	open, err := q.boolean("open")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f.Open = open != nil && *open
	if f.IdentityID, err = s.identityParam(r, q); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.reviews.FindReviewItems(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleAnswerReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveChange(s, w, r, func(ctx context.Context, id string, in warden.ReviewAnswerInput) (*warden.ReviewItem, error) {
		return s.reviews.AnswerReview(ctx, id, in)
	})
}

// serveChange decodes a body of type T and applies do to the object named
// by {id}, answering 200 with what do returns.
func serveChange[T, R any](s *Server, w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id string, in T) (R, error)) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in T
	if err := s.decodeRequest(w, r, &in, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}
