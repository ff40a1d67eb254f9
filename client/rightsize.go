package client

import (
	"context"
	"net/url"
	"time"

	"github.com/warden-nhi/warden"
)

// RightsizeQuery selects the activity window of a rightsizing report and
// narrows the identity's external id to a provider.
type RightsizeQuery struct {
	Window   time.Duration   // 0 means the server's default (90 days)
	Provider warden.Provider // narrows an external id that several providers share
}

// Rightsize fetches the rightsizing report of the identity ref (id or
// external id): its used permissions with evidence counts, unused and
// wildcard grants, denied attempts, and the proposed IAM policy and
// Kubernetes RBAC.
func (c *Client) Rightsize(ctx context.Context, ref string, q RightsizeQuery) (*warden.RightsizeReport, error) {
	query := url.Values{}
	if q.Window != 0 {
		query.Set("window", warden.FormatWindow(q.Window))
	}
	set(query, "provider", string(q.Provider))
	var out warden.RightsizeReport
	if err := c.do(ctx, "GET", identityPath(ref)+"/rightsize", query, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
