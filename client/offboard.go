package client

import (
	"context"
	"io"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// Offboard starts the offboarding of one person, or returns their open
// one (Created false).
func (c *Client) Offboard(ctx context.Context, in warden.OffboardInput) (*warden.OffboardResult, error) {
	var out warden.OffboardResult
	if err := c.do(ctx, "POST", "/v1/offboarding", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ImportDeparted uploads a departed-people list, format "csv" or "json",
// streaming body; grace ("" for the server's default) is the
// reassignment period of the offboardings it starts. The server checks
// the whole list before it starts any.
func (c *Client) ImportDeparted(ctx context.Context, format string, body io.Reader, grace string) (*warden.OffboardImportResult, error) {
	contentType := "application/json"
	if format == warden.OffboardSourceCSV {
		contentType = "text/csv"
	}
	var query url.Values
	if grace != "" {
		query = url.Values{"grace": {grace}}
	}
	var out warden.OffboardImportResult
	if err := c.upload(ctx, "/v1/offboarding/import", query, contentType, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindOffboardings fetches one page of offboardings, newest first.
func (c *Client) FindOffboardings(ctx context.Context, f warden.OffboardingFilter) ([]*warden.Offboarding, string, error) {
	q := url.Values{}
	set(q, "person", f.Person)
	set(q, "status", string(f.Status))
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Offboarding]
	if err := c.do(ctx, "GET", "/v1/offboarding", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Offboardings iterates over every offboarding matching f.
func (c *Client) Offboardings(ctx context.Context, f warden.OffboardingFilter) iter.Seq2[*warden.Offboarding, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Offboarding, string, error) {
		f.Cursor = cursor
		return c.FindOffboardings(ctx, f)
	})
}

// GetOffboarding fetches one offboarding with its items and the
// credentials to rotate.
func (c *Client) GetOffboarding(ctx context.Context, id string) (*warden.Offboarding, error) {
	var out warden.Offboarding
	if err := c.do(ctx, "GET", "/v1/offboarding/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
