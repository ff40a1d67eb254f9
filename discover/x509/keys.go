package x509

import (
	"crypto/dsa" //nolint:staticcheck // only to recognise DSA keys, which governance flags
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
)

// keyFacts returns the public key's type ("RSA", "ECDSA", "Ed25519",
// "DSA" or Go's name of another algorithm) and size in bits (0 when
// unknown).
func keyFacts(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	}
	if c.PublicKeyAlgorithm == x509.UnknownPublicKeyAlgorithm {
		return "unknown", 0
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// keyUsageNames are the key usages in bit order.
var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digital_signature"},
	{x509.KeyUsageContentCommitment, "content_commitment"},
	{x509.KeyUsageKeyEncipherment, "key_encipherment"},
	{x509.KeyUsageDataEncipherment, "data_encipherment"},
	{x509.KeyUsageKeyAgreement, "key_agreement"},
	{x509.KeyUsageCertSign, "cert_sign"},
	{x509.KeyUsageCRLSign, "crl_sign"},
	{x509.KeyUsageEncipherOnly, "encipher_only"},
	{x509.KeyUsageDecipherOnly, "decipher_only"},
}

func keyUsages(u x509.KeyUsage) []string {
	var out []string
	for _, k := range keyUsageNames {
		if u&k.bit != 0 {
			out = append(out, k.name)
		}
	}
	return out
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "server_auth",
	x509.ExtKeyUsageClientAuth:      "client_auth",
	x509.ExtKeyUsageCodeSigning:     "code_signing",
	x509.ExtKeyUsageEmailProtection: "email_protection",
	x509.ExtKeyUsageTimeStamping:    "time_stamping",
	x509.ExtKeyUsageOCSPSigning:     "ocsp_signing",
}

// extKeyUsages names the extended key usages; unknown ones by OID.
func extKeyUsages(c *x509.Certificate) []string {
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := extKeyUsageNames[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, "other")
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}
