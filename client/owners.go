package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// OwnerQuery selects owner suggestions over the API; Identity may be an
// id or an external id.
type OwnerQuery struct {
	warden.OwnerSuggestionFilter
	Identity string
}

// SuggestOwners collects owner evidence for every unowned identity, or
// for the identity ref (id or external id) when it is not empty.
func (c *Client) SuggestOwners(ctx context.Context, ref string) (*warden.OwnerSuggestReport, error) {
	var out warden.OwnerSuggestReport
	if err := c.do(ctx, "POST", "/v1/owners/suggest", nil, map[string]string{"identity": ref}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindOwnerSuggestions fetches one page of owner suggestions, newest first.
func (c *Client) FindOwnerSuggestions(ctx context.Context, f OwnerQuery) ([]*warden.OwnerSuggestion, string, error) {
	q := url.Values{}
	set(q, "identity", f.Identity)
	set(q, "status", string(f.Status))
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.OwnerSuggestion]
	if err := c.do(ctx, "GET", "/v1/owners/suggestions", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// OwnerSuggestions iterates over every owner suggestion matching f.
func (c *Client) OwnerSuggestions(ctx context.Context, f OwnerQuery) iter.Seq2[*warden.OwnerSuggestion, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.OwnerSuggestion, string, error) {
		f.Cursor = cursor
		return c.FindOwnerSuggestions(ctx, f)
	})
}

// AcceptOwnerSuggestion accepts suggestion id: the identity's owner is set.
func (c *Client) AcceptOwnerSuggestion(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
	return c.answerOwner(ctx, id, "accept", reason)
}

// RejectOwnerSuggestion rejects suggestion id for good.
func (c *Client) RejectOwnerSuggestion(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
	return c.answerOwner(ctx, id, "reject", reason)
}

func (c *Client) answerOwner(ctx context.Context, id, verb, reason string) (*warden.OwnerSuggestion, error) {
	var out warden.OwnerSuggestion
	if err := c.do(ctx, "POST", "/v1/owners/suggestions/"+url.PathEscape(id)+"/"+verb, nil, map[string]string{"reason": reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
