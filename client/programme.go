package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// Programme fetches the programme metrics of the months calendar months
// ending with until's (0 months: the server's default of 12; zero until:
// now).
func (c *Client) Programme(ctx context.Context, months int, until time.Time) (*warden.ProgrammeMetrics, error) {
	q := url.Values{}
	if months > 0 {
		q.Set("months", strconv.Itoa(months))
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339))
	}
	var out warden.ProgrammeMetrics
	if err := c.do(ctx, "GET", "/v1/programme", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
