package client

import (
	"context"
	"io"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// Import uploads one export or log file to POST /v1/imports/{source},
// streaming body, and returns the server's report. name names the file in
// errors and events. The client's timeout covers the whole upload: large
// imports need a client built WithTimeout(0) and a context deadline.
func (c *Client) Import(ctx context.Context, source, name string, body io.Reader) (*warden.ImportReport, error) {
	var query url.Values
	if name != "" {
		query = url.Values{"name": {name}}
	}
	var out warden.ImportReport
	if err := c.upload(ctx, "/v1/imports/"+url.PathEscape(source), query, "application/octet-stream", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EventQuery selects events through the API: Identity is an identity id
// or external id (Provider narrows it).
type EventQuery struct {
	Identity string
	Provider warden.Provider
	Source   string
	Since    *time.Time
	Until    *time.Time
	Cursor   string
	Limit    int
}

// FindEvents fetches one page of activity events, oldest first, and the
// next cursor ("" on the last page). Events follows every page.
func (c *Client) FindEvents(ctx context.Context, f EventQuery) ([]*warden.Event, string, error) {
	q := url.Values{}
	set(q, "identity", f.Identity)
	set(q, "provider", string(f.Provider))
	set(q, "source", f.Source)
	set(q, "cursor", f.Cursor)
	if f.Since != nil {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Event]
	if err := c.do(ctx, "GET", "/v1/events", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Events iterates over every event matching f, oldest first.
func (c *Client) Events(ctx context.Context, f EventQuery) iter.Seq2[*warden.Event, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Event, string, error) {
		f.Cursor = cursor
		return c.FindEvents(ctx, f)
	})
}
