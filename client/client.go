// Package client is a Go client for the warden REST API (/v1).
//
// A Client implements warden.IdentityService, warden.CredentialService and
// warden.AuditService over HTTP, so code written against the domain
// interfaces (the demo loader, for one) runs unchanged against a remote
// server. Errors the server reports as RFC 9457 problem documents come back
// as *warden.Error, so callers branch on warden.ErrorCode as they would
// in-process; a server that cannot be reached gives an *UnreachableError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for New.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20 // a full page of 500 identities is well under 2 MiB
	maxProblemBytes         = 64 << 10
)

// Client talks to one warden server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	maxBytes  int64
	userAgent string
	timeout   time.Duration
	custom    bool // http came from WithHTTPClient
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send requests through hc instead of its
// own http.Client. hc's Timeout and redirect policy are then the caller's.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http, c.custom = hc, true }
}

// WithTimeout bounds each request, from dialling to reading the body.
// Zero means no limit beyond the request context. It does not apply to a
// client given with WithHTTPClient.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxResponseBytes limits the size of a response body the client will
// read; a larger response is an error rather than unbounded memory use.
func WithMaxResponseBytes(n int64) Option { return func(c *Client) { c.maxBytes = n } }

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for the server at baseURL (scheme and host, with an
// optional path prefix, e.g. "https://warden.example.com") that
// authenticates with the API token. An empty token sends no Authorization
// header; the server will then answer 401 on every protected route.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("warden server address %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("warden server address %q: want http://host:port or https://host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("warden server address %q: must not contain credentials, a query or a fragment", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{
		base:      u,
		token:     token,
		maxBytes:  DefaultMaxResponseBytes,
		userAgent: "warden-client",
		timeout:   DefaultTimeout,
	}
	for _, opt := range opts {
		opt(c)
	}
	if !c.custom {
		c.http = &http.Client{
			Timeout: c.timeout,
			// A redirect would silently turn a PATCH into a GET or send
			// the token somewhere else: report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

// BaseURL returns the server address the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// do sends one request. body, when non-nil, is sent as JSON; out, when
// non-nil, receives the decoded JSON response of a 2xx answer.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.doHeader(ctx, method, path, query, nil, body, out)
}

// doHeader is do with extra request headers.
func (c *Client) doHeader(ctx context.Context, method, path string, query url.Values, header http.Header, body, out any) error {
	// path is already escaped: callers PathEscape each variable segment, so
	// the "/" inside an ARN stays part of its segment.
	target := c.base.String() + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}

	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeProblem(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxBytes))
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if int64(len(data)) > c.maxBytes {
		return fmt.Errorf("%s %s: response is larger than the %d-byte limit", method, path, c.maxBytes)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// transportError turns a failure to get any HTTP answer into an error that
// says what to do.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("request to warden at %s: %w", c.BaseURL(), ctxErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Timeout() {
		return &UnreachableError{URL: c.BaseURL(), Err: err, Timeout: true}
	}
	return &UnreachableError{URL: c.BaseURL(), Err: err}
}

// UnreachableError reports that no HTTP answer came back from the server:
// the connection was refused, the name did not resolve, TLS failed or the
// request timed out.
type UnreachableError struct {
	URL     string
	Err     error
	Timeout bool
}

// Error implements the error interface.
func (e *UnreachableError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("warden at %s did not answer in time: is the server overloaded or the address wrong? set --server or WARDEN_SERVER (%v)", e.URL, e.Err)
	}
	return fmt.Sprintf("cannot reach warden at %s: is `warden serve` running? set --server or WARDEN_SERVER (%v)", e.URL, e.Err)
}

// Unwrap returns the transport error.
func (e *UnreachableError) Unwrap() error { return e.Err }
