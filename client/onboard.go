package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

var _ warden.OnboardingService = (*Client)(nil)

// RequestOnboarding asks for a new managed identity.
func (c *Client) RequestOnboarding(ctx context.Context, in warden.OnboardingInput) (*warden.OnboardingRequest, error) {
	var out warden.OnboardingRequest
	if err := c.do(ctx, "POST", "/v1/onboarding/requests", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClaimIdentity claims a discovered identity that nobody onboarded.
func (c *Client) ClaimIdentity(ctx context.Context, in warden.ClaimInput) (*warden.OnboardingRequest, error) {
	var out warden.OnboardingRequest
	if err := c.do(ctx, "POST", "/v1/onboarding/claims", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OnboardingQuery selects onboarding requests over the API; Identity may
// be an id or an external id.
type OnboardingQuery struct {
	warden.OnboardingFilter
	Identity string
}

// FindOnboardingRequests implements warden.OnboardingService (by identity
// id); FindOnboardingPage takes an external id too.
func (c *Client) FindOnboardingRequests(ctx context.Context, f warden.OnboardingFilter) ([]*warden.OnboardingRequest, string, error) {
	return c.FindOnboardingPage(ctx, OnboardingQuery{OnboardingFilter: f, Identity: f.IdentityID})
}

// FindOnboardingPage fetches one page of onboarding requests, newest first.
func (c *Client) FindOnboardingPage(ctx context.Context, f OnboardingQuery) ([]*warden.OnboardingRequest, string, error) {
	q := url.Values{}
	set(q, "status", string(f.Status))
	set(q, "type", string(f.Type))
	set(q, "identity", f.Identity)
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.OnboardingRequest]
	if err := c.do(ctx, "GET", "/v1/onboarding/requests", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// OnboardingRequests iterates over every onboarding request matching f.
func (c *Client) OnboardingRequests(ctx context.Context, f OnboardingQuery) iter.Seq2[*warden.OnboardingRequest, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.OnboardingRequest, string, error) {
		f.Cursor = cursor
		return c.FindOnboardingPage(ctx, f)
	})
}

// FindOnboardingRequest fetches one onboarding request.
func (c *Client) FindOnboardingRequest(ctx context.Context, id string) (*warden.OnboardingRequest, error) {
	var out warden.OnboardingRequest
	if err := c.do(ctx, "GET", "/v1/onboarding/requests/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveOnboarding approves a pending request (never your own).
func (c *Client) ApproveOnboarding(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
	return c.answerOnboarding(ctx, id, "approve", comment)
}

// DenyOnboarding denies a pending request.
func (c *Client) DenyOnboarding(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
	return c.answerOnboarding(ctx, id, "deny", comment)
}

func (c *Client) answerOnboarding(ctx context.Context, id, verb, comment string) (*warden.OnboardingRequest, error) {
	var out warden.OnboardingRequest
	if err := c.do(ctx, "POST", "/v1/onboarding/requests/"+url.PathEscape(id)+"/"+verb, nil, map[string]string{"comment": comment}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
