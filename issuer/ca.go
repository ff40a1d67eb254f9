package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"time"

	"github.com/warden-nhi/warden"
)

// Upstream is an operator-supplied CA that signs warden's intermediate CAs
// instead of warden making self-signed roots. Its certificate is the trust
// anchor warden publishes; its key never reaches warden's database.
type Upstream struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// LoadUpstream reads an upstream CA certificate and private key from PEM
// files (the key as PKCS#8, PKCS#1 or SEC 1).
func LoadUpstream(certFile, keyFile string) (*Upstream, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("upstream CA certificate: %w", err)
	}
	certs, err := parseCertsPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("upstream CA certificate %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("upstream CA key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("upstream CA key %s: no PEM block", keyFile)
	}
	var key any
	if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("upstream CA key %s: %w", keyFile, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("upstream CA key %s: unsupported key type %T", keyFile, key)
	}
	u := &Upstream{Cert: certs[0], Key: signer}
	if !u.Cert.IsCA || u.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("upstream certificate is not a CA certificate with the certSign key usage")
	}
	if !publicKeysEqual(u.Cert.PublicKey, signer.Public()) {
		return nil, errors.New("upstream CA key does not match its certificate")
	}
	return u, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

// newCACert makes the certificate of a new CA key: self-signed, or signed
// by the upstream CA. It returns the chain to store, CA certificate first.
func newCACert(trustDomain string, signer crypto.Signer, now time.Time, ttl time.Duration, up *Upstream) ([]*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	ski, err := keyID(signer.Public())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"warden"}, CommonName: "warden CA " + trustDomain + " " + ski[:8]},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(ttl),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		URIs:                  []*url.URL{{Scheme: "spiffe", Host: trustDomain}},
	}
	parent, parentKey := tmpl, signer
	if up != nil {
		parent, parentKey = up.Cert, up.Key
		if tmpl.NotAfter.After(up.Cert.NotAfter) {
			tmpl.NotAfter = up.Cert.NotAfter
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, signer.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	return []*x509.Certificate{cert}, nil
}

// checkCSR parses a PKCS#10 request, checks its signature (proof that the
// workload holds the key) and that the key is of an accepted type.
func checkCSR(der []byte) (*x509.CertificateRequest, error) {
	if len(der) == 0 || len(der) > 16<<10 {
		return nil, warden.FieldErrorf("csr", "csr must be a PEM or DER certificate request of at most 16 KiB")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, warden.FieldErrorf("csr", "csr is not a valid PKCS#10 request")
	}
	// The key first: its size bounds what verifying the signature costs.
	if err := checkCSRKey(csr.PublicKey); err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, warden.FieldErrorf("csr", "csr signature does not verify")
	}
	return csr, nil
}

// signSVID issues an X.509-SVID for pub: the only SAN is the SPIFFE ID,
// whatever the request asked for.
func signSVID(ca *signingKey, spiffeID string, pub crypto.PublicKey, now time.Time, ttl time.Duration) (*x509.Certificate, error) {
	u, err := url.Parse(spiffeID)
	if err != nil {
		return nil, fmt.Errorf("sign SVID: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(ttl)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"warden"}},
		NotBefore:             now.Add(-30 * time.Second),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{u},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.signer)
	if err != nil {
		return nil, fmt.Errorf("sign SVID: %w", err)
	}
	return x509.ParseCertificate(der)
}

// serialID is how an X.509-SVID is named in issued-credential records.
func serialID(c *x509.Certificate) string { return fmt.Sprintf("%x", c.SerialNumber) }

// createCRL signs a CRL listing the revoked serials (hex).
func createCRL(ca *signingKey, serials []string, number int64, now time.Time) ([]byte, error) {
	entries := make([]x509.RevocationListEntry, 0, len(serials))
	for _, s := range serials {
		n, ok := new(big.Int).SetString(s, 16)
		if !ok {
			continue
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: now})
	}
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                now,
		NextUpdate:                now.Add(5 * time.Minute),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.signer)
	if err != nil {
		return nil, fmt.Errorf("create CRL: %w", err)
	}
	return der, nil
}
