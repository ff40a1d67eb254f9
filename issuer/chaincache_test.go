package issuer

import (
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// TestClientAssertion_CachedChainStillChecksRevocationAndValidity: the
// verified-chain cache saves the path building only. A certificate
// revoked after its chain was cached is refused on the next assertion (and
// as an mTLS client certificate), and so is one used after its NotAfter,
// although the cache holds its chain.
func TestClientAssertion_CachedChainStillChecksRevocationAndValidity(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, func(c *Config) { c.Now = clock })
	aud := e.is.TokenEndpoint()
	at := func(claims map[string]any) {
		n := clock()
		claims["iat"], claims["exp"] = n.Unix(), n.Add(time.Minute).Unix()
	}

	t.Run("Revoked", func(t *testing.T) {
		s, key := e.svid(t, e.workload(t, "billing"))
		for range 2 { // the second is served from the cache
			if _, err := e.is.Authenticate(e.ctx, Evidence{Assertion: assertion(t, s, key, aud, at), Audience: aud}); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := e.is.chains.get(x5cKey(chainX5C(s)), e.is.keys.Load(), clock()); !ok {
			t.Fatal("the verified chain is not cached")
		}
		if _, err := e.db.RevokeIssued(e.ctx, warden.Revocation{CredentialID: serialID(s.Chain[0]), Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: assertion(t, s, key, aud, at), Audience: aud})
		if warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("assertion of a revoked SVID with a cached chain: %v", err)
		}
		if _, err := e.is.Authenticate(e.ctx, Evidence{PeerCerts: s.Chain}); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("revoked SVID as an mTLS client certificate: %v", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		s, key := e.svid(t, e.workload(t, "ledger"))
		if _, err := e.is.Authenticate(e.ctx, Evidence{Assertion: assertion(t, s, key, aud, at), Audience: aud}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = s.Chain[0].NotAfter.Add(time.Second)
		mu.Unlock()
		_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: assertion(t, s, key, aud, at), Audience: aud})
		if warden.ErrorCode(err) != warden.EUNAUTHORIZED {
			t.Fatalf("assertion of an expired SVID with a cached chain: %v", err)
		}
	})
}

func chainX5C(s *X509SVID) []string {
	var out []string
	for _, c := range s.Chain {
		out = append(out, b64(c.Raw))
	}
	return out
}

func TestChainCache_BoundedAndKeyedByKeySet(t *testing.T) {
	var c chainCache
	e := newEnv(t)
	s, _ := e.svid(t, e.workload(t, "billing"))
	keys, now := e.is.keys.Load(), time.Now()
	for i := range maxCachedChains + 10 {
		c.put(x5cKey([]string{string(rune(i))}), keys, s.Chain)
	}
	if n := len(c.entries); n > maxCachedChains {
		t.Fatalf("%d entries, bound %d", n, maxCachedChains)
	}
	k := x5cKey(chainX5C(s))
	c.put(k, keys, s.Chain)
	if _, ok := c.get(k, keys, now); !ok {
		t.Fatal("not found under its key set")
	}
	if _, ok := c.get(k, &keySet{}, now); ok {
		t.Fatal("found under another key set (after a reload or rotation)")
	}
}
