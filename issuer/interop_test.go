package issuer

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
)

func TestX509SVID_VerifiesWithGoSPIFFE(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	s, _ := e.svid(t, c)
	td := spiffeid.RequireTrustDomainFromString("example.org")
	var roots []*x509.Certificate
	for _, der := range e.is.BundleCertificates() {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, cert)
	}
	id, _, err := x509svid.Verify(s.Chain, x509bundle.FromX509Authorities(td, roots))
	if err != nil {
		t.Fatalf("go-spiffe rejects warden's X.509-SVID: %v", err)
	}
	if id.String() != "spiffe://example.org/billing" {
		t.Errorf("SPIFFE ID = %s", id)
	}
	leaf := s.Chain[0]
	if len(leaf.DNSNames) != 0 || leaf.Subject.CommonName == "ignored" {
		t.Errorf("CSR's requested names leaked into the SVID: %v %q", leaf.DNSNames, leaf.Subject.CommonName)
	}
	if ttl := leaf.NotAfter.Sub(leaf.NotBefore); ttl > DefaultX509TTL+time30s {
		t.Errorf("SVID lifetime %s, want the 1 h default", ttl)
	}
}

const time30s = 30_000_000_000

func TestX509SVID_VerifiesWithGoSPIFFE_UpstreamCA(t *testing.T) {
	up := newUpstream(t)
	e := newEnv(t, func(c *Config) { c.Upstream = up })
	s, _ := e.svid(t, e.workload(t, "billing"))
	td := spiffeid.RequireTrustDomainFromString("example.org")
	if len(s.Chain) != 2 || !s.Bundle[0].Equal(up.Cert) {
		t.Fatalf("chain %d certs, bundle root %v: want leaf+intermediate and the upstream root", len(s.Chain), s.Bundle[0].Subject)
	}
	if _, _, err := x509svid.Verify(s.Chain, x509bundle.FromX509Authorities(td, []*x509.Certificate{up.Cert})); err != nil {
		t.Fatalf("go-spiffe rejects an SVID chained to the upstream CA: %v", err)
	}
}

func TestJWTSVID_VerifiesWithGoSPIFFE(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	tok, err := e.is.IssueJWTSVID(e.ctx, c, []string{"https://api.example.org"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	td := spiffeid.RequireTrustDomainFromString("example.org")
	b := jwtbundle.New(td)
	for _, k := range e.is.JWKS().Keys {
		if err := b.AddJWTAuthority(k.KeyID, k.Key); err != nil {
			t.Fatal(err)
		}
	}
	svid, err := jwtsvid.ParseAndValidate(tok.Raw, b, []string{"https://api.example.org"})
	if err != nil {
		t.Fatalf("go-spiffe rejects warden's JWT-SVID: %v", err)
	}
	if svid.ID.String() != c.SPIFFEID || svid.Expiry.Sub(tok.Claims.IssuedAt.Time()) != DefaultJWTTTL {
		t.Errorf("JWT-SVID %s expires %s", svid.ID, svid.Expiry)
	}
}

func TestJWT_VerifiesWithGoOIDCThroughDiscoveryAlone(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{ES256, EdDSA, RS256} {
		t.Run(string(alg), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.JWTAlgorithm = alg })
			c := e.workload(t, "billing")
			tok, err := e.is.IssueJWTSVID(e.ctx, c, []string{"https://api.example.org"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, e.srv.URL) // discovery document and JWKS only
			if err != nil {
				t.Fatal(err)
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: "https://api.example.org"}).Verify(ctx, tok.Raw)
			if err != nil {
				t.Fatalf("go-oidc rejects warden's token: %v", err)
			}
			if idt.Subject != c.SPIFFEID || idt.Issuer != e.srv.URL {
				t.Errorf("sub %s iss %s", idt.Subject, idt.Issuer)
			}
		})
	}
}
