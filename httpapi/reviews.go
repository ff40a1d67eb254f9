package httpapi

import (
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

// handleStartReview answers 201 with the new campaign; an empty body
// starts one with the defaults.
func (s *Server) handleStartReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveBody(s, w, r, http.StatusCreated, decodeOptions{allowEmpty: true}, s.reviews.StartReview)
}

var reviewListParams = []string{"status", "cursor", "limit"}

func (s *Server) handleListReviews(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveList(s, w, r, reviewListParams, reviewCampaignFilter, s.reviews.FindReviewCampaigns)
}

func reviewCampaignFilter(_ *http.Request, q queryParams) (warden.ReviewCampaignFilter, error) {
	f := warden.ReviewCampaignFilter{Status: warden.CampaignStatus(q.get("status")), Cursor: q.get("cursor")}
	var err error
	f.Limit, err = q.limit()
	return f, err
}

func (s *Server) handleGetReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveByID(s, w, r, s.reviews.FindReviewCampaign)
}

var reviewItemParams = []string{"owner", "status", "open", "identity", "provider", "cursor", "limit"}

// handleListReviewItems lists the items of the campaign named by {id}: 404
// when there is no such campaign.
func (s *Server) handleListReviewItems(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveList(s, w, r, reviewItemParams, s.reviewItemFilter, s.reviews.FindReviewItems)
}

func (s *Server) reviewItemFilter(r *http.Request, q queryParams) (warden.ReviewItemFilter, error) {
	id, err := pathValue(r, "id")
	if err != nil {
		return warden.ReviewItemFilter{}, err
	}
	if _, err := s.reviews.FindReviewCampaign(r.Context(), id); err != nil {
		return warden.ReviewItemFilter{}, err
	}
	f := warden.ReviewItemFilter{CampaignID: id, Owner: q.get("owner"), Status: warden.ReviewItemStatus(q.get("status")), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		return f, err
	}
	open, err := q.boolean("open")
	if err != nil {
		return f, err
	}
	f.Open = open != nil && *open
	f.IdentityID, err = s.identityParam(r, q)
	return f, err
}

func (s *Server) handleAnswerReview(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviews(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{}, s.reviews.AnswerReview)
}
