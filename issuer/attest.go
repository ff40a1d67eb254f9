package issuer

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// Evidence is what a workload presents to prove who it is. Exactly one
// kind is used, in this order: PeerCerts (mTLS), Assertion, JoinToken.
type Evidence struct {
	// PeerCerts is the verified-or-not client certificate chain of an mTLS
	// connection, leaf first; it must be a live SVID warden issued.
	PeerCerts []*x509.Certificate
	// Assertion is a JWT: either an RFC 7523 client assertion signed with
	// the key of a warden-issued X.509-SVID carried in its x5c header
	// (audience: Audience), or a token of a trusted external OIDC issuer.
	Assertion string
	// Audience is the endpoint URL client assertions must be addressed to.
	Audience string
	// JoinToken is a one-time join token secret.
	JoinToken string
	// DeferReplayCheck leaves a client assertion's jti unrecorded in the
	// returned Caller: the credential minted for the request records it in
	// its own transaction. The caller must then call SettleReplay when the
	// request ends. Only for requests that mint a credential.
	DeferReplayCheck bool
}

// Caller is an attested workload.
type Caller struct {
	Entry       *warden.RegistrationEntry
	Identity    *warden.Identity
	SPIFFEID    string
	Attestation string // summary for issued-credential records
	// replay is a client assertion's jti to record (DeferReplayCheck).
	replay *pendingJTI
}

// Authenticate attests a workload. Failures are EUNAUTHORIZED with the
// reason; an identity that is not active is EFORBIDDEN.
func (is *Issuer) Authenticate(ctx context.Context, ev Evidence) (*Caller, error) {
	switch {
	case len(ev.PeerCerts) > 0:
		return is.attestCertificate(ctx, ev.PeerCerts, "mtls")
	case ev.Assertion != "":
		hdr, err := parseHeader(ev.Assertion)
		if err != nil {
			return nil, err
		}
		if len(hdr.X5C) > 0 {
			return is.attestClientAssertion(ctx, ev.Assertion, hdr, ev.Audience, ev.DeferReplayCheck)
		}
		return is.attestOIDC(ctx, ev.Assertion)
	case ev.JoinToken != "":
		return is.attestJoinToken(ctx, ev.JoinToken)
	}
	return nil, warden.Errorf(warden.EUNAUTHORIZED, "workload authentication is required: a join token, an OIDC token, a client assertion or a client certificate")
}

func (is *Issuer) attestJoinToken(ctx context.Context, secret string) (*Caller, error) {
	tok, err := is.store.ConsumeJoinToken(systemCtx(ctx), secret)
	if err != nil {
		return nil, err
	}
	return is.caller(ctx, tok.EntryID, "join_token:"+tok.ID)
}

// attestOIDC verifies a token of a trusted external issuer and finds the
// oldest entry of that issuer whose selectors all match its claims.
func (is *Issuer) attestOIDC(ctx context.Context, raw string) (*Caller, error) {
	iss, err := unsafeIssuer(raw)
	if err != nil {
		return nil, err
	}
	remote, ok := is.external[iss]
	if !ok {
		return nil, unauthorized("issuer %q is not trusted", clip(iss))
	}
	claims, all, err := remote.verify(ctx, raw, is.now())
	if err != nil {
		return nil, err
	}
	entries, err := is.store.FindRegistrationEntries(ctx, warden.AttestOIDC, iss)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if selectorsMatch(e.Selectors, all) {
			return is.callerFor(ctx, e, fmt.Sprintf("oidc:%s sub=%s", iss, clip(claims.Subject)))
		}
	}
	return nil, unauthorized("no registration entry matches the token's claims")
}

// selectorsMatch reports whether every selector is a string claim with
// exactly the selector's value.
func selectorsMatch(sel map[string]string, claims map[string]any) bool {
	if len(sel) == 0 {
		return false
	}
	for k, want := range sel {
		got, ok := claims[k].(string)
		if !ok || got != want {
			return false
		}
	}
	return true
}

// verifyChainPath checks that chain verifies against the CAs of keys at
// now and that its leaf is an X.509-SVID of this trust domain; it does not
// look at revocation.
func (is *Issuer) verifyChainPath(keys *keySet, chain []*x509.Certificate, now time.Time) (*x509.Certificate, error) {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range keys.roots() {
		roots.AddCert(r)
	}
	for _, k := range keys.ca {
		if k.cert != nil && !slices.ContainsFunc(k.roots, k.cert.Equal) {
			inter.AddCert(k.cert)
		}
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, unauthorized("client certificate does not verify against warden's CA")
	}
	if leaf.IsCA || len(leaf.URIs) != 1 || leaf.URIs[0].Scheme != "spiffe" || leaf.URIs[0].Host != is.cfg.TrustDomain {
		return nil, unauthorized("client certificate is not an X.509-SVID of trust domain %s", is.cfg.TrustDomain)
	}
	return leaf, nil
}

// attestCertificate attests the holder of a warden-issued X.509-SVID: the
// chain must verify against the published CAs and the leaf be live and
// unrevoked.
func (is *Issuer) attestCertificate(ctx context.Context, chain []*x509.Certificate, how string) (*Caller, error) {
	if len(chain) == 0 || len(chain) > 4 {
		return nil, unauthorized("certificate chain must have 1-4 certificates")
	}
	leaf, err := is.verifyChainPath(is.keys.Load(), chain, is.now())
	if err != nil {
		return nil, err
	}
	return is.attestSVID(ctx, leaf, how)
}

// attestSVID finds the issuance record and entry of a verified X.509-SVID
// leaf and refuses it when the record says it was revoked (one query for
// both: revocation is read on every request, never cached).
func (is *Issuer) attestSVID(ctx context.Context, leaf *x509.Certificate, how string) (*Caller, error) {
	rec, err := is.store.FindIssuedCredential(ctx, serialID(leaf))
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, unauthorized("client certificate has no issuance record")
		}
		return nil, err
	}
	if rec.RevokedAt != nil {
		return nil, unauthorized("client certificate was revoked")
	}
	if rec.SPIFFEID != leaf.URIs[0].String() {
		return nil, unauthorized("client certificate does not match its issuance record")
	}
	return is.caller(ctx, rec.EntryID, how+":"+rec.ID)
}

// maxAssertionLifetime bounds client assertions (RFC 7523 wants them short).
const maxAssertionLifetime = 5 * time.Minute

// attestClientAssertion checks an RFC 7523 private_key_jwt assertion signed
// by the key of the X.509-SVID in its x5c header: iss = sub = the SVID's
// SPIFFE ID, aud = the endpoint, short-lived, single-use jti.
func (is *Issuer) attestClientAssertion(ctx context.Context, raw string, hdr *tokenHeader, audience string, deferReplay bool) (*Caller, error) {
	if audience == "" {
		return nil, unauthorized("client assertions are not accepted here")
	}
	leaf, err := is.x5cLeaf(hdr.X5C)
	if err != nil {
		return nil, err
	}
	alg, err := algorithmFor(leaf.PublicKey)
	if err != nil {
		return nil, unauthorized("certificate key type is not accepted")
	}
	spiffeID := leaf.URIs[0].String()
	claims, _, err := verifyJWT(raw, verifyOptions{
		algorithms:  []jose.SignatureAlgorithm{alg},
		lookup:      func(string) (verifyKey, bool) { return verifyKey{key: leaf.PublicKey, alg: alg}, true },
		issuer:      spiffeID,
		audience:    audience,
		now:         is.now(),
		requireJTI:  true,
		keyFromCert: true,
		maxLifetime: maxAssertionLifetime,
	})
	if err != nil {
		return nil, err
	}
	if claims.Subject != spiffeID {
		return nil, unauthorized("client assertion sub must be the certificate's SPIFFE ID")
	}
	used := &pendingJTI{issuer: spiffeID, jti: claims.ID, expiresAt: claims.Expiry.Time().Add(clockSkew)}
	if !deferReplay {
		if err := is.useJTI(ctx, used); err != nil {
			return nil, err
		}
	}
	// The chain was verified above: verifying it again would cost the
	// path building, a signature check and a revocation query once more.
	c, err := is.attestSVID(ctx, leaf, "private_key_jwt")
	if err != nil {
		return nil, err
	}
	if deferReplay {
		c.replay = used
	}
	return c, nil
}

func (is *Issuer) caller(ctx context.Context, entryID, attestation string) (*Caller, error) {
	e, err := is.store.FindRegistrationEntryByID(ctx, entryID)
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, unauthorized("the registration entry no longer exists")
		}
		return nil, err
	}
	return is.callerFor(ctx, e, attestation)
}

// callerFor loads the entry's identity and refuses identities that are not
// active: quarantined, disabled and deprovisioned identities get nothing.
func (is *Issuer) callerFor(ctx context.Context, e *warden.RegistrationEntry, attestation string) (*Caller, error) {
	id, err := is.ids.FindIdentityByID(ctx, e.IdentityID)
	if err != nil {
		return nil, err
	}
	if id.Status != warden.StatusActive {
		return nil, warden.Errorf(warden.EFORBIDDEN, "identity %s is %s: no credentials are issued to it", id.ID, id.Status)
	}
	return &Caller{Entry: e, Identity: id, SPIFFEID: e.SPIFFEID, Attestation: attestation}, nil
}
