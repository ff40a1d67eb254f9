package client

import (
	"context"
	"net/url"

	"github.com/warden-nhi/warden"
)

// FindTokens lists all API tokens, revoked ones included.
func (c *Client) FindTokens(ctx context.Context) ([]*warden.APIToken, error) {
	var out listResponse[*warden.APIToken]
	if err := c.do(ctx, "GET", "/v1/tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// CreatedToken is the answer to POST /v1/tokens: the token and its secret,
// which the server never shows again.
type CreatedToken struct {
	Token  *warden.APIToken `json:"token"`
	Secret string           `json:"secret"`
}

// CreateToken makes an API token with the role and returns it with its
// secret.
func (c *Client) CreateToken(ctx context.Context, name string, role warden.Role) (*warden.APIToken, string, error) {
	var out CreatedToken
	body := map[string]string{"name": name, "role": string(role)}
	if err := c.do(ctx, "POST", "/v1/tokens", nil, body, &out); err != nil {
		return nil, "", err
	}
	return out.Token, out.Secret, nil
}

// RevokeToken revokes the API token with the id.
func (c *Client) RevokeToken(ctx context.Context, id string) (*warden.APIToken, error) {
	var out warden.APIToken
	if err := c.do(ctx, "DELETE", "/v1/tokens/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WhoAmI describes the token a client authenticates with.
type WhoAmI struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Role        warden.Role         `json:"role"`
	Permissions []warden.Permission `json:"permissions"`
}

// WhoAmI returns the identity of the client's own token.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	var out WhoAmI
	if err := c.do(ctx, "GET", "/v1/whoami", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
