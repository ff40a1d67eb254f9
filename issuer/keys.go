package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// Signature algorithms warden signs with. Verifiers accept exactly these;
// "none" and every HMAC algorithm are never accepted.
const (
	ES256 = jose.ES256
	EdDSA = jose.EdDSA
	RS256 = jose.RS256
)

// SigningAlgorithms is the allow-list of algorithms for warden's own keys.
var SigningAlgorithms = []jose.SignatureAlgorithm{ES256, EdDSA, RS256}

// ParseAlgorithm checks a configured algorithm name.
func ParseAlgorithm(name string) (jose.SignatureAlgorithm, error) {
	for _, a := range SigningAlgorithms {
		if string(a) == name {
			return a, nil
		}
	}
	return "", fmt.Errorf("signing algorithm %q is not one of ES256, EdDSA, RS256", name)
}

// generateSigner makes a new private key for the algorithm.
func generateSigner(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("generate key: algorithm %q is not supported", alg)
}

// algorithmFor returns the one algorithm a public key may be used with, so
// that a key's algorithm is pinned by its type (no algorithm confusion).
func algorithmFor(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		}
	case ed25519.PublicKey:
		return jose.EdDSA, nil
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return jose.RS256, nil
		}
	}
	return "", fmt.Errorf("unsupported public key %T", pub)
}

// keyID derives a key id from the public key: the base64url SHA-256 of
// its PKIX encoding (stable, and unique per key).
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:20]), nil
}

// signingKey is an opened issuer key, ready to sign.
type signingKey struct {
	id     string
	alg    jose.SignatureAlgorithm
	state  string
	signer crypto.Signer
	public crypto.PublicKey
	// cert and chain are set for CA keys: cert signs SVIDs, chain is what
	// follows the leaf in an SVID (the cert itself when an upstream CA
	// signed it), roots are the trust anchors it publishes.
	cert  *x509.Certificate
	chain []*x509.Certificate
	roots []*x509.Certificate
	jose  jose.Signer
}

// sealKey turns a new private key into a store record whose private part is
// sealed under the KEK. certs is the CA chain (CA keys only), leaf first.
func sealKey(kek *KEK, purpose, state string, alg jose.SignatureAlgorithm, signer crypto.Signer, certs []*x509.Certificate) (*warden.IssuerKey, error) {
	id, err := keyID(signer.Public())
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	sealed, err := kek.Seal(der, id)
	clear(der)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	rec := &warden.IssuerKey{
		ID: id, Purpose: purpose, Algorithm: string(alg), State: state,
		PublicKey:     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		PrivateSealed: sealed,
	}
	for _, c := range certs {
		rec.Certificate += string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	if len(certs) > 0 {
		na := certs[0].NotAfter
		rec.NotAfter = &na
	}
	return rec, nil
}

// openKey decrypts a stored key with the KEK and checks that the private
// key matches the recorded public key and algorithm.
func openKey(kek *KEK, rec *warden.IssuerKey) (*signingKey, error) {
	der, err := kek.Open(rec.PrivateSealed, rec.ID)
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("open key %s: %w", rec.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("open key %s: %T is not a signer", rec.ID, priv)
	}
	id, err := keyID(signer.Public())
	if err != nil || id != rec.ID {
		return nil, fmt.Errorf("open key %s: the private key does not match the key id", rec.ID)
	}
	alg, err := algorithmFor(signer.Public())
	if err != nil || string(alg) != rec.Algorithm {
		return nil, fmt.Errorf("open key %s: recorded algorithm %s does not fit the key", rec.ID, rec.Algorithm)
	}
	k := &signingKey{id: rec.ID, alg: alg, state: rec.State, signer: signer, public: signer.Public()}
	if rec.Certificate != "" {
		certs, err := parseCertsPEM([]byte(rec.Certificate))
		if err != nil {
			return nil, fmt.Errorf("open key %s: %w", rec.ID, err)
		}
		k.cert = certs[0]
		k.chain = certs
	}
	return k, nil
}

// joseSigner returns (and caches) a go-jose signer that puts the key id
// and the token type in the header.
func (k *signingKey) joseSigner(typ string) (jose.Signer, error) {
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	return jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.signer, KeyID: k.id, Algorithm: string(k.alg)}}, opts)
}

// parseCertsPEM parses one or more PEM certificates.
func parseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}
