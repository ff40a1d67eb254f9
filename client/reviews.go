package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// StartReview starts a review campaign over the identities of a tier
// whose review is due.
func (c *Client) StartReview(ctx context.Context, in warden.ReviewInput) (*warden.ReviewCampaign, error) {
	var out warden.ReviewCampaign
	if err := c.do(ctx, "POST", "/v1/reviews", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindReviewCampaigns fetches one page of campaigns, newest first.
func (c *Client) FindReviewCampaigns(ctx context.Context, f warden.ReviewCampaignFilter) ([]*warden.ReviewCampaign, string, error) {
	q := url.Values{}
	set(q, "status", string(f.Status))
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.ReviewCampaign]
	if err := c.do(ctx, "GET", "/v1/reviews", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// ReviewCampaigns iterates over every campaign matching f.
func (c *Client) ReviewCampaigns(ctx context.Context, f warden.ReviewCampaignFilter) iter.Seq2[*warden.ReviewCampaign, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.ReviewCampaign, string, error) {
		f.Cursor = cursor
		return c.FindReviewCampaigns(ctx, f)
	})
}

// GetReview fetches one campaign with its progress.
func (c *Client) GetReview(ctx context.Context, id string) (*warden.ReviewCampaign, error) {
	var out warden.ReviewCampaign
	if err := c.do(ctx, "GET", "/v1/reviews/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReviewItemQuery selects the items of a campaign over the API;
// Identity may be an id or an external id.
type ReviewItemQuery struct {
	CampaignID string
	Owner      string
	Status     warden.ReviewItemStatus
	Open       bool
	Identity   string
	Cursor     string
	Limit      int
}

// FindReviewItems fetches one page of a campaign's items, by owner.
func (c *Client) FindReviewItems(ctx context.Context, f ReviewItemQuery) ([]*warden.ReviewItem, string, error) {
	q := url.Values{}
	set(q, "owner", f.Owner)
	set(q, "status", string(f.Status))
	if f.Open {
		q.Set("open", "true")
	}
	set(q, "identity", f.Identity)
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.ReviewItem]
	if err := c.do(ctx, "GET", "/v1/reviews/"+url.PathEscape(f.CampaignID)+"/items", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// ReviewItems iterates over every item matching f.
func (c *Client) ReviewItems(ctx context.Context, f ReviewItemQuery) iter.Seq2[*warden.ReviewItem, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.ReviewItem, string, error) {
		f.Cursor = cursor
		return c.FindReviewItems(ctx, f)
	})
}

// AnswerReview answers one review item keep, reduce or remove.
func (c *Client) AnswerReview(ctx context.Context, itemID string, in warden.ReviewAnswerInput) (*warden.ReviewItem, error) {
	var out warden.ReviewItem
	if err := c.do(ctx, "POST", "/v1/reviews/items/"+url.PathEscape(itemID)+"/answer", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
