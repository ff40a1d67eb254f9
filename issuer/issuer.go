// Package issuer is warden's credential issuer: a SPIFFE-compatible X.509
// CA and JWT signer for one trust domain, workload attestation (join
// tokens, external OIDC tokens, warden-issued certificates), OAuth2 client
// credentials and RFC 8693 token exchange, RFC 7662 introspection, RFC
// 7009 revocation, OIDC discovery, JWKS, the SPIFFE bundle and a CRL.
//
// Private keys live in memory and, sealed under the key-encryption key
// (AES-256-GCM), in the store. Every credential minted is recorded without
// its secret part, and revocation is checked on every verification.
package issuer

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// Defaults of Config.
const (
	DefaultX509TTL        = time.Hour
	DefaultJWTTTL         = 5 * time.Minute
	DefaultJWTKeyLifetime = 24 * time.Hour
	DefaultCALifetime     = 30 * 24 * time.Hour
)

// Config configures an Issuer. TrustDomain, IssuerURL, Store, Identities
// and KEK are required.
type Config struct {
	TrustDomain string // e.g. example.org
	// IssuerURL is the iss of every token and the base of the discovery
	// document, e.g. https://warden.example.org (no trailing slash).
	IssuerURL  string
	Store      warden.IssuerStore
	Identities warden.IdentityService
	KEK        *KEK
	// JWTAlgorithm signs JWTs: ES256 (default), EdDSA or RS256. The CA
	// always uses ES256 keys.
	JWTAlgorithm jose.SignatureAlgorithm
	// Upstream, when set, signs warden's CA certificates.
	Upstream       *Upstream
	TrustedIssuers []TrustedIssuer
	X509TTL        time.Duration // default lifetime of X.509-SVIDs
	JWTTTL         time.Duration // default lifetime of JWTs
	// JWTKeyLifetime and CALifetime are how long a key signs before
	// Maintain rotates it; it stays published one more period.
	JWTKeyLifetime time.Duration
	CALifetime     time.Duration
	HTTPClient     *http.Client // fetches external JWKS; default has a 10 s timeout
	Logger         *slog.Logger
	Now            func() time.Time
}

// Issuer mints, verifies and revokes warden's credentials.
type Issuer struct {
	cfg      Config
	store    warden.IssuerStore
	ids      warden.IdentityService
	now      func() time.Time
	logger   *slog.Logger
	keys     atomic.Pointer[keySet]
	external map[string]*remoteKeys
	crlSeq   atomic.Int64
	chains   chainCache // x5c chains that verified, see x5cLeaf
}

var (
	_ warden.TokenVerifier     = (*Issuer)(nil)
	_ warden.RevocationChecker = (*Issuer)(nil)
)

// New checks cfg, loads the issuer's keys from the store (creating and
// storing the first ones on a fresh database) and returns the Issuer.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	if err := warden.ValidateTrustDomain(cfg.TrustDomain); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	u, err := url.Parse(cfg.IssuerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.HasSuffix(cfg.IssuerURL, "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer: issuer URL %q must be an http(s) URL without a trailing slash, query or fragment", cfg.IssuerURL)
	}
	if cfg.Store == nil || cfg.Identities == nil || cfg.KEK == nil {
		return nil, fmt.Errorf("issuer: Store, Identities and KEK are required")
	}
	if cfg.JWTAlgorithm == "" {
		cfg.JWTAlgorithm = ES256
	}
	if _, err := ParseAlgorithm(string(cfg.JWTAlgorithm)); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	cfg.X509TTL = orDefault(cfg.X509TTL, DefaultX509TTL)
	cfg.JWTTTL = orDefault(cfg.JWTTTL, DefaultJWTTTL)
	cfg.JWTKeyLifetime = orDefault(cfg.JWTKeyLifetime, DefaultJWTKeyLifetime)
	cfg.CALifetime = orDefault(cfg.CALifetime, DefaultCALifetime)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	is := &Issuer{cfg: cfg, store: cfg.Store, ids: cfg.Identities, now: cfg.Now, logger: cfg.Logger, external: map[string]*remoteKeys{}}
	for _, t := range cfg.TrustedIssuers {
		if t.Issuer == "" || t.Audience == "" {
			return nil, fmt.Errorf("issuer: trusted issuer %q needs an issuer URL and a required audience", t.Issuer)
		}
		for _, a := range t.Algorithms {
			if !slices.Contains(externalAlgorithms, a) {
				return nil, fmt.Errorf("issuer: trusted issuer %q: algorithm %q is not one of %s", t.Issuer, a, algorithmNames(externalAlgorithms))
			}
		}
		is.external[t.Issuer] = newRemoteKeys(t, cfg.HTTPClient)
	}
	if err := is.initKeys(ctx); err != nil {
		return nil, err
	}
	return is, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// TrustDomain returns the trust domain.
func (is *Issuer) TrustDomain() string { return is.cfg.TrustDomain }

// IssuerURL returns the issuer URL (iss of every token).
func (is *Issuer) IssuerURL() string { return is.cfg.IssuerURL }

// TokenEndpoint is the URL client assertions must name as their audience.
func (is *Issuer) TokenEndpoint() string { return is.cfg.IssuerURL + "/v1/oauth2/token" }

// systemCtx attributes the issuer's own changes in the audit log.
func systemCtx(ctx context.Context) context.Context {
	if warden.ActorFromContext(ctx).Type == "system" {
		return warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "issuer"})
	}
	return ctx
}
