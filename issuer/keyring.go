package issuer

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// keySet is an immutable snapshot of the issuer's opened keys.
type keySet struct {
	jwtCurrent *signingKey
	jwt        []*signingKey // published: next, current, previous
	caCurrent  *signingKey
	ca         []*signingKey
	loadedAt   time.Time
}

// jwtKey finds a published JWT key by kid.
func (s *keySet) jwtKey(kid string) (*signingKey, bool) {
	for _, k := range s.jwt {
		if k.id == kid {
			return k, true
		}
	}
	return nil, false
}

// roots are the trust anchors of the bundle: every published CA's root.
func (s *keySet) roots() []*x509.Certificate {
	var out []*x509.Certificate
	seen := map[string]bool{}
	for _, k := range s.ca {
		for _, r := range k.roots {
			if !seen[string(r.Raw)] {
				seen[string(r.Raw)] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// initKeys loads the keys, creating a current and a next key for each
// purpose on first start.
func (is *Issuer) initKeys(ctx context.Context) error {
	ctx = systemCtx(ctx)
	for _, purpose := range []string{warden.KeyPurposeJWT, warden.KeyPurposeX509} {
		keys, err := is.store.IssuerKeys(ctx, purpose)
		if err != nil {
			return fmt.Errorf("issuer: %w", err)
		}
		if len(keys) > 0 {
			continue
		}
		current, err := is.newKey(purpose, warden.KeyCurrent, is.now())
		if err != nil {
			return err
		}
		next, err := is.newKey(purpose, warden.KeyNext, is.now())
		if err != nil {
			return err
		}
		if err := is.store.RotateIssuerKeys(ctx, purpose, current, next); err != nil {
			return fmt.Errorf("issuer: store first %s keys: %w", purpose, err)
		}
		is.logger.Info("created issuer keys", "purpose", purpose, "current", current.ID, "next", next.ID)
	}
	return is.Reload(ctx)
}

// newKey generates and seals a key. CA certificates of a next key start
// now so that the bundle can publish them ahead of use.
func (is *Issuer) newKey(purpose, state string, now time.Time) (*warden.IssuerKey, error) {
	alg := is.cfg.JWTAlgorithm
	if purpose == warden.KeyPurposeX509 {
		alg = ES256
	}
	signer, err := generateSigner(alg)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	var certs []*x509.Certificate
	if purpose == warden.KeyPurposeX509 {
		// A CA lives three periods: next, current, previous.
		certs, err = newCACert(is.cfg.TrustDomain, signer, now, 3*is.cfg.CALifetime+time.Hour, is.cfg.Upstream)
		if err != nil {
			return nil, fmt.Errorf("issuer: %w", err)
		}
	}
	return sealKey(is.cfg.KEK, purpose, state, alg, signer, certs)
}

// Reload reads the keys from the store and swaps them in; replicas call it
// to pick up another replica's rotation.
func (is *Issuer) Reload(ctx context.Context) error {
	set := &keySet{loadedAt: is.now()}
	for _, purpose := range []string{warden.KeyPurposeJWT, warden.KeyPurposeX509} {
		recs, err := is.store.IssuerKeys(ctx, purpose)
		if err != nil {
			return fmt.Errorf("issuer: load keys: %w", err)
		}
		for _, rec := range recs {
			k, err := openKey(is.cfg.KEK, rec)
			if err != nil {
				return fmt.Errorf("issuer: %w", err)
			}
			if purpose == warden.KeyPurposeJWT {
				set.jwt = append(set.jwt, k)
				if k.state == warden.KeyCurrent {
					set.jwtCurrent = k
				}
				continue
			}
			k.roots = []*x509.Certificate{k.cert}
			if is.cfg.Upstream != nil && k.cert.CheckSignatureFrom(is.cfg.Upstream.Cert) == nil {
				k.roots = []*x509.Certificate{is.cfg.Upstream.Cert}
			}
			set.ca = append(set.ca, k)
			if k.state == warden.KeyCurrent {
				set.caCurrent = k
			}
		}
	}
	if set.jwtCurrent == nil || set.caCurrent == nil {
		return fmt.Errorf("issuer: the store has no current JWT key or CA")
	}
	for _, k := range set.jwt {
		signer, err := k.joseSigner("JWT")
		if err != nil {
			return fmt.Errorf("issuer: %w", err)
		}
		k.jose = signer
	}
	is.keys.Store(set)
	return nil
}

// Rotate advances the keys of a purpose (KeyPurposeJWT or KeyPurposeX509)
// one step: next signs, current stays published as previous, previous
// retires, and a new next key is published.
func (is *Issuer) Rotate(ctx context.Context, purpose string) error {
	next, err := is.newKey(purpose, warden.KeyNext, is.now())
	if err != nil {
		return err
	}
	if err := is.store.RotateIssuerKeys(systemCtx(ctx), purpose, next); err != nil {
		return fmt.Errorf("issuer: rotate %s keys: %w", purpose, err)
	}
	is.logger.Info("rotated issuer keys", "purpose", purpose, "new_next", next.ID)
	return is.Reload(ctx)
}

// Maintain rotates keys whose signing period is over, reloads keys other
// replicas rotated and deletes expired one-time token ids, every interval
// until ctx ends.
func (is *Issuer) Maintain(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := is.MaybeRotate(ctx); err != nil {
			is.logger.Error("issuer key maintenance", "error", err)
		}
		is.sweepJTIs(ctx)
	}
}

// MaybeRotate reloads the keys and rotates each purpose whose current key
// has signed for its full lifetime.
func (is *Issuer) MaybeRotate(ctx context.Context) error {
	if err := is.Reload(ctx); err != nil {
		return err
	}
	for _, purpose := range []string{warden.KeyPurposeJWT, warden.KeyPurposeX509} {
		recs, err := is.store.IssuerKeys(ctx, purpose)
		if err != nil {
			return err
		}
		lifetime := is.cfg.JWTKeyLifetime
		if purpose == warden.KeyPurposeX509 {
			lifetime = is.cfg.CALifetime
		}
		for _, r := range recs {
			since := r.CreatedAt
			if r.ActivatedAt != nil {
				since = *r.ActivatedAt
			}
			if r.State == warden.KeyCurrent && is.now().Sub(since) >= lifetime {
				if err := is.Rotate(ctx, purpose); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jwks is the public JWT keys as a JWK set.
func (s *keySet) jwks() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range s.jwt {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.public, KeyID: k.id, Algorithm: string(k.alg), Use: "sig"})
	}
	return set
}
