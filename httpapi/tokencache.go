package httpapi

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-nhi/warden"
)

// CachedTokens is a warden.TokenService that remembers authenticated API
// tokens for a short time, so that a busy endpoint (a proxy asking for a
// decision per request) does not read the token table on every call. Any
// change to a token (revocation included) announced on the change feed,
// by this replica or another, empties the cache at once; ttl bounds how
// long an entry lives without one. Other methods pass through.
type CachedTokens struct {
	warden.TokenService
	ttl time.Duration
	now func() time.Time

	mu  sync.RWMutex
	m   map[[32]byte]cachedToken
	gen atomic.Uint64
}

type cachedToken struct {
	tok     warden.APIToken
	expires time.Time
}

// NewCachedTokens wraps inner and follows feed until ctx ends.
func NewCachedTokens(ctx context.Context, inner warden.TokenService, feed warden.ChangeFeed, ttl time.Duration) *CachedTokens {
	c := &CachedTokens{TokenService: inner, ttl: ttl, now: time.Now, m: map[[32]byte]cachedToken{}}
	changes := feed.SubscribeChanges(ctx)
	go func() {
		for ch := range changes {
			if ch.Type == "token" || ch.Type == "*" {
				c.flush()
			}
		}
	}()
	return c
}

func (c *CachedTokens) flush() {
	c.mu.Lock()
	c.gen.Add(1)
	clear(c.m)
	c.mu.Unlock()
}

// AuthenticateToken implements warden.TokenService.
func (c *CachedTokens) AuthenticateToken(ctx context.Context, secret string) (*warden.APIToken, error) {
	key := sha256.Sum256([]byte(secret))
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		tok := e.tok
		return &tok, nil
	}
	gen := c.gen.Load()
	tok, err := c.TokenService.AuthenticateToken(ctx, secret)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if len(c.m) >= 10000 {
			clear(c.m)
		}
		c.m[key] = cachedToken{tok: *tok, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return tok, nil
}

// RevokeToken implements warden.TokenService and forgets cached tokens.
func (c *CachedTokens) RevokeToken(ctx context.Context, id string) (*warden.APIToken, error) {
	tok, err := c.TokenService.RevokeToken(ctx, id)
	c.flush()
	return tok, err
}
