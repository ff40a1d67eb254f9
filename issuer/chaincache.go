package issuer

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"sync"
	"time"
)

// maxCachedChains bounds the verified-chain cache; when full it is emptied
// and refilled by the next requests.
const maxCachedChains = 4096

// chainCache remembers which x5c chains verified against the CA, so that a
// workload sending a client assertion every few seconds does not pay for
// decoding, parsing and path building — a signature check — each time.
// A verified chain stays valid while the published CAs are the same
// (keySet identity: every reload or rotation starts afresh) and the time
// is inside every certificate's validity. Revocation is not cached: it is
// checked on every request.
type chainCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedChain
}

type cachedChain struct {
	keys      *keySet
	leaf      *x509.Certificate
	notBefore time.Time // latest NotBefore of the chain
	notAfter  time.Time // earliest NotAfter of the chain
}

func x5cKey(x5c []string) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range x5c {
		h.Write([]byte(c))
		h.Write([]byte{0})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *chainCache) get(k [sha256.Size]byte, keys *keySet, now time.Time) (*x509.Certificate, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.keys != keys || now.Before(e.notBefore) || !now.Before(e.notAfter) {
		return nil, false
	}
	return e.leaf, true
}

func (c *chainCache) put(k [sha256.Size]byte, keys *keySet, chain []*x509.Certificate) {
	e := cachedChain{keys: keys, leaf: chain[0], notBefore: chain[0].NotBefore, notAfter: chain[0].NotAfter}
	for _, cert := range chain[1:] {
		if cert.NotBefore.After(e.notBefore) {
			e.notBefore = cert.NotBefore
		}
		if cert.NotAfter.Before(e.notAfter) {
			e.notAfter = cert.NotAfter
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedChains {
		c.entries = make(map[[sha256.Size]byte]cachedChain)
	}
	c.entries[k] = e
}

// x5cLeaf decodes and verifies an x5c chain (without the revocation
// check) and returns its leaf, from the cache when it verified before.
func (is *Issuer) x5cLeaf(x5c []string) (*x509.Certificate, error) {
	if len(x5c) == 0 || len(x5c) > 4 {
		return nil, unauthorized("certificate chain must have 1-4 certificates")
	}
	keys, now := is.keys.Load(), is.now()
	k := x5cKey(x5c)
	if leaf, ok := is.chains.get(k, keys, now); ok {
		return leaf, nil
	}
	var chain []*x509.Certificate
	for _, b64 := range x5c {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, unauthorized("x5c is not base64")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, unauthorized("x5c holds an invalid certificate")
		}
		chain = append(chain, c)
	}
	leaf, err := is.verifyChainPath(keys, chain, now)
	if err != nil {
		return nil, err
	}
	is.chains.put(k, keys, chain)
	return leaf, nil
}
