package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// AccessCreated is the answer to an access request: the request as the
// policy decided it, and the token of a workload's grant when one was
// minted (or why it could not be).
type AccessCreated struct {
	*warden.AccessRequest
	Token *warden.GrantToken `json:"token,omitempty"`
	// TokenError says why a granted request came without its token.
	TokenError string `json:"token_error,omitempty"`
}

// RequestAccess asks for time-bound access.
func (c *Client) RequestAccess(ctx context.Context, in warden.AccessInput) (*AccessCreated, error) {
	var out AccessCreated
	if err := c.do(ctx, "POST", "/v1/access/requests", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AccessQuery selects access requests over the API; Identity may be an
// id or an external id.
type AccessQuery struct {
	warden.AccessRequestFilter
	Identity string
}

// FindAccessRequests fetches one page of access requests, newest first.
func (c *Client) FindAccessRequests(ctx context.Context, f AccessQuery) ([]*warden.AccessRequest, string, error) {
	q := url.Values{}
	set(q, "identity", f.Identity)
	set(q, "status", string(f.Status))
	if f.NeedsReview {
		q.Set("needs_review", "true")
	}
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.AccessRequest]
	if err := c.do(ctx, "GET", "/v1/access/requests", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// AccessRequests iterates over every access request matching f.
func (c *Client) AccessRequests(ctx context.Context, f AccessQuery) iter.Seq2[*warden.AccessRequest, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.AccessRequest, string, error) {
		f.Cursor = cursor
		return c.FindAccessRequests(ctx, f)
	})
}

// GetAccessRequest fetches one access request with its history.
func (c *Client) GetAccessRequest(ctx context.Context, id string) (*warden.AccessRequest, error) {
	var out warden.AccessRequest
	if err := c.do(ctx, "GET", "/v1/access/requests/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AnswerAccess applies verb (approve, deny, revoke or review) to request
// id with its body (comment, reason, outcome and notes).
func (c *Client) AnswerAccess(ctx context.Context, id, verb string, body map[string]string) (*warden.AccessRequest, error) {
	var out warden.AccessRequest
	if err := c.do(ctx, "POST", "/v1/access/requests/"+url.PathEscape(id)+"/"+url.PathEscape(verb), nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GrantToken mints a token for an active grant of the calling workload
// (the client's token must be the workload's warden-issued token).
func (c *Client) GrantToken(ctx context.Context, id string, audience []string) (*warden.GrantToken, error) {
	var out warden.GrantToken
	if err := c.do(ctx, "POST", "/v1/access/requests/"+url.PathEscape(id)+"/token", nil, map[string]any{"audience": audience}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BreakGlass takes emergency access, with breakGlassToken (role
// breakglass) as the second factor.
func (c *Client) BreakGlass(ctx context.Context, breakGlassToken string, in warden.AccessInput) (*warden.AccessRequest, error) {
	var out warden.AccessRequest
	h := http.Header{}
	h.Set("X-Warden-Break-Glass", breakGlassToken)
	if err := c.doHeader(ctx, "POST", "/v1/access/breakglass", nil, h, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GrantUsage fetches what a grant was used for.
func (c *Client) GrantUsage(ctx context.Context, id string) (*warden.AccessUsage, error) {
	var out warden.AccessUsage
	if err := c.do(ctx, "GET", "/v1/access/requests/"+url.PathEscape(id)+"/usage", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
