package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
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
	path := "/v1/imports/" + url.PathEscape(source)
	target := c.base.String() + path
	if name != "" {
		target += "?" + url.Values{"name": {name}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "POST", target, body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Content-Type", "application/octet-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeProblem(resp)
	}
	var out warden.ImportReport
	if err := json.NewDecoder(io.LimitReader(resp.Body, c.maxBytes)).Decode(&out); err != nil {
		return nil, fmt.Errorf("POST %s: decode response: %w", path, err)
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
