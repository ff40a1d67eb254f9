package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// FindIssuedCredential returns the record of one credential the issuer
// minted (its jti, or a certificate serial in hex).
func (c *Client) FindIssuedCredential(ctx context.Context, id string) (*warden.IssuedCredential, error) {
	var out warden.IssuedCredential
	if err := c.do(ctx, "GET", "/v1/issuer/credentials/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindIssuedCredentials fetches one page of issued-credential records,
// newest first, and the next cursor ("" on the last page).
// IssuedCredentials follows all pages.
func (c *Client) FindIssuedCredentials(ctx context.Context, f warden.IssuedCredentialFilter) ([]*warden.IssuedCredential, string, error) {
	q := url.Values{}
	set(q, "identity_id", f.IdentityID)
	set(q, "entry_id", f.EntryID)
	set(q, "kind", f.Kind)
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.IssuedCredential]
	if err := c.do(ctx, "GET", "/v1/issuer/credentials", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// IssuedCredentials iterates over every issued-credential record matching f.
func (c *Client) IssuedCredentials(ctx context.Context, f warden.IssuedCredentialFilter) iter.Seq2[*warden.IssuedCredential, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.IssuedCredential, string, error) {
		f.Cursor = cursor
		return c.FindIssuedCredentials(ctx, f)
	})
}

// FindJoinTokens lists a registration entry's join tokens, newest first
// (never their secrets).
func (c *Client) FindJoinTokens(ctx context.Context, entryID string) ([]*warden.JoinToken, error) {
	var out listResponse[*warden.JoinToken]
	if err := c.do(ctx, "GET", "/v1/issuer/entries/"+url.PathEscape(entryID)+"/join-tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
