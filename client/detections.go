package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// DetectionQuery selects detections over the API: a
// warden.DetectionFilter whose identity may be given as an id or an
// external id.
type DetectionQuery struct {
	warden.DetectionFilter
	Identity string          // identity id or external id; "" for all
	Provider warden.Provider // narrows an external id
}

// FindDetections fetches one page of the monitor's detections, newest
// first, and the next cursor.
func (c *Client) FindDetections(ctx context.Context, f DetectionQuery) ([]*warden.Detection, string, error) {
	q := url.Values{}
	set(q, "identity", f.Identity)
	set(q, "provider", string(f.Provider))
	set(q, "detector", f.Detector)
	set(q, "severity", string(f.MinSeverity))
	if f.Since != nil {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Until != nil {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Detection]
	if err := c.do(ctx, "GET", "/v1/detections", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Detections iterates over every detection matching f.
func (c *Client) Detections(ctx context.Context, f DetectionQuery) iter.Seq2[*warden.Detection, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Detection, string, error) {
		f.Cursor = cursor
		return c.FindDetections(ctx, f)
	})
}
