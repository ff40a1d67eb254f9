package review

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// AnswerReview implements warden.ReviewService. Keep and reduce set the
// identity's next review to now plus its tier's interval; reduce also
// records what to remove; remove disables the identity at once (the
// owner's explicit decision, not an automatic control, so no mode
// applies). The item, the identity and their audit records change in one
// transaction.
func (s *Service) AnswerReview(ctx context.Context, itemID string, in warden.ReviewAnswerInput) (*warden.ReviewItem, error) {
	if err := checkAnswer(&in); err != nil {
		return nil, err
	}
	current, err := s.cfg.Store.FindReviewItem(ctx, itemID)
	if err != nil {
		return nil, err
	}
	var proposal *warden.ReviewProposal
	if in.Answer == warden.AnswerReduce && current.Status.Open() {
		proposal = s.proposal(ctx, current)
	}
	actor := warden.ActorFromContext(ctx).String()
	now := s.now()
	return s.cfg.Store.UpdateReviewItem(ctx, itemID, "review.answer", func(c *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
		if err := answerable(c, it); err != nil {
			return nil, err
		}
		it.Status, it.Answer, it.Comment, it.AnsweredBy, it.AnsweredAt = warden.ItemAnswered, in.Answer, in.Comment, actor, &now
		switch in.Answer {
		case warden.AnswerRemove:
			status := warden.StatusDisabled
			reason := fmt.Sprintf("removed by %s in review %q: %s", actor, c.Name, in.Comment)
			if len(reason) > warden.MaxTextLen {
				reason = reason[:warden.MaxTextLen]
			}
			return &warden.IdentityUpdate{Status: &status, StatusReason: &reason, ClearNextReview: true}, nil
		case warden.AnswerReduce:
			it.Proposal = proposal
		}
		next := now.Add(s.cfg.Schedule.Interval(it.Tier))
		it.NextReviewAt = &next
		return &warden.IdentityUpdate{NextReviewAt: &next}, nil
	})
}

// checkAnswer validates an answer as a caller sent it, in place.
func checkAnswer(in *warden.ReviewAnswerInput) error {
	in.Answer = warden.ReviewAnswer(strings.ToLower(strings.TrimSpace(string(in.Answer))))
	if !in.Answer.Valid() {
		return warden.FieldErrorf("answer", "answer %q is not keep, reduce or remove", clip(string(in.Answer)))
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if len(in.Comment) > warden.MaxTextLen || !utf8.ValidString(in.Comment) {
		return warden.FieldErrorf("comment", "comment must be valid text of at most %d bytes", warden.MaxTextLen)
	}
	if in.Answer == warden.AnswerRemove && in.Comment == "" {
		return warden.FieldErrorf("comment", "removing an identity needs a comment: say why it is no longer needed")
	}
	return nil
}

// answerable refuses answers to items that are no longer open.
func answerable(c *warden.ReviewCampaign, it *warden.ReviewItem) error {
	switch {
	case c.Status == warden.CampaignClosed:
		return warden.Errorf(warden.ECONFLICT, "review campaign %q is closed: it takes no more answers", c.Name)
	case it.Status == warden.ItemAnswered:
		return warden.Errorf(warden.ECONFLICT, "review item %s was already answered %s by %s", it.ID, it.Answer, it.AnsweredBy)
	case !it.Status.Open():
		return warden.Errorf(warden.ECONFLICT, "review item %s expired unanswered (%s): start a new campaign to review the identity again", it.ID, it.Status)
	case it.DisablingAt != nil:
		return warden.Errorf(warden.ECONFLICT, "review item %s expired unanswered and its identity is being disabled", it.ID)
	}
	return nil
}
