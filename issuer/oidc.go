package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TrustedIssuer is an external OIDC issuer whose tokens attest workloads:
// GitHub Actions (https://token.actions.githubusercontent.com), a
// Kubernetes cluster's service-account issuer, or any issuer with a JWKS.
type TrustedIssuer struct {
	Issuer string // exact iss of its tokens
	// Audience is required in every token's aud, e.g. "warden" or the
	// issuer URL of this warden: it stops tokens minted for others.
	Audience string
	// JWKSURL is where its keys are; "" discovers it from
	// <Issuer>/.well-known/openid-configuration.
	JWKSURL string
	// Algorithms its tokens may be signed with; nil accepts every
	// algorithm of the external allow-list (RS256, ES256, ES384, EdDSA,
	// PS256). Never none or HMAC.
	Algorithms []jose.SignatureAlgorithm
}

// externalAlgorithms are accepted from external issuers.
var externalAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.EdDSA, jose.PS256}

// maxDocumentBytes bounds discovery documents and JWKS fetched from others.
const maxDocumentBytes = 1 << 20

// minRefetch rate-limits JWKS refreshes triggered by unknown key ids.
const minRefetch = 30 * time.Second

// remoteKeys is the cached JWKS of one trusted issuer.
type remoteKeys struct {
	cfg    TrustedIssuer
	client *http.Client

	mu        sync.Mutex
	keys      map[string]verifyKey
	fetchedAt time.Time
}

func newRemoteKeys(cfg TrustedIssuer, client *http.Client) *remoteKeys {
	return &remoteKeys{cfg: cfg, client: client}
}

// lookup returns the key for kid, fetching the JWKS when it is unknown
// (at most once per minRefetch, so hostile kids cannot hammer the issuer).
func (r *remoteKeys) lookup(ctx context.Context, kid string, now time.Time) (verifyKey, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.keys[kid]; ok {
		return k, true, nil
	}
	if !r.fetchedAt.IsZero() && now.Sub(r.fetchedAt) < minRefetch {
		return verifyKey{}, false, nil
	}
	keys, err := r.fetch(ctx)
	r.fetchedAt = now
	if err != nil {
		return verifyKey{}, false, err
	}
	r.keys = keys
	k, ok := r.keys[kid]
	return k, ok, nil
}

func (r *remoteKeys) fetch(ctx context.Context) (map[string]verifyKey, error) {
	jwksURL := r.cfg.JWKSURL
	if jwksURL == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := r.getJSON(ctx, strings.TrimSuffix(r.cfg.Issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
			return nil, err
		}
		if doc.Issuer != r.cfg.Issuer || doc.JWKSURI == "" {
			return nil, fmt.Errorf("discovery of %s: issuer %q or jwks_uri missing", r.cfg.Issuer, doc.Issuer)
		}
		jwksURL = doc.JWKSURI
	}
	var set jose.JSONWebKeySet
	if err := r.getJSON(ctx, jwksURL, &set); err != nil {
		return nil, err
	}
	keys := map[string]verifyKey{}
	for _, k := range set.Keys {
		if k.KeyID == "" || k.IsPublic() == false || (k.Use != "" && k.Use != "sig") {
			continue
		}
		alg, err := algorithmFor(k.Key)
		if err != nil {
			continue
		}
		// A JWK that names its algorithm is pinned to it; RSA keys may name
		// PS256 instead of RS256.
		if k.Algorithm != "" {
			if k.Algorithm == string(jose.PS256) && alg == jose.RS256 {
				alg = jose.PS256
			} else if k.Algorithm != string(alg) {
				continue
			}
		}
		keys[k.KeyID] = verifyKey{key: k.Key, alg: alg}
	}
	return keys, nil
}

func (r *remoteKeys) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: status %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	if len(data) > maxDocumentBytes {
		return fmt.Errorf("fetch %s: larger than %d bytes", url, maxDocumentBytes)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	return nil
}

// verifyExternal verifies a token of a trusted issuer and returns all its
// claims.
func (r *remoteKeys) verify(ctx context.Context, raw string, now time.Time) (*Claims, map[string]any, error) {
	hdr, err := parseHeader(raw)
	if err != nil {
		return nil, nil, err
	}
	key, ok, err := r.lookup(ctx, hdr.Kid, now)
	if err != nil {
		return nil, nil, fmt.Errorf("keys of %s: %w", r.cfg.Issuer, err)
	}
	algs := r.cfg.Algorithms
	if len(algs) == 0 {
		algs = externalAlgorithms
	}
	return verifyJWT(raw, verifyOptions{
		algorithms: algs,
		lookup: func(kid string) (verifyKey, bool) {
			return key, ok && kid == hdr.Kid
		},
		issuer:   r.cfg.Issuer,
		audience: r.cfg.Audience,
		now:      now,
	})
}
