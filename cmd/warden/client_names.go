package main

import (
	"context"

	"github.com/warden-nhi/warden/client"
)

// identityNames shows identities by external id in listings that carry
// only ids, fetching each identity once; an id it cannot resolve is shown
// as it is.
type identityNames struct {
	ctx   context.Context
	c     *client.Client
	names map[string]string
}

func newIdentityNames(ctx context.Context, c *client.Client) *identityNames {
	return &identityNames{ctx: ctx, c: c, names: map[string]string{}}
}

// of returns the external id of the identity with this id.
func (n *identityNames) of(id string) string {
	if name, ok := n.names[id]; ok {
		return name
	}
	name := id
	if i, err := n.c.FindIdentityByID(n.ctx, id); err == nil {
		name = i.ExternalID
	}
	n.names[id] = name
	return name
}
