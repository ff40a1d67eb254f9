package issuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"

	"github.com/warden-nhi/warden"
)

// RSA keys that CSRs may carry. The upper bound is what keeps verification
// cheap: checking a signature costs about the cube of the modulus size, so
// a 60,000-bit modulus that fits the 16 KiB CSR limit costs ~2,000 times a
// 2048-bit one (measured: ~190 ms instead of ~90 µs) and would let any
// attested workload burn a core per request.
const (
	minCSRRSABits  = 2048
	maxCSRRSABits  = 4096
	csrRSAExponent = 65537
)

// checkCSRKey accepts only the key types and sizes warden issues SVIDs
// for — RSA 2048–4096 bits with exponent 65537, ECDSA P-256 or P-384,
// Ed25519 — and is called before the CSR's signature is verified, so a
// costly key is refused before any arithmetic on it.
func checkCSRKey(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minCSRRSABits || bits > maxCSRRSABits {
			return warden.FieldErrorf("csr", "csr RSA key has %d bits: %d to %d are accepted", bits, minCSRRSABits, maxCSRRSABits)
		}
		if k.E != csrRSAExponent {
			return warden.FieldErrorf("csr", "csr RSA key exponent must be %d", csrRSAExponent)
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return warden.FieldErrorf("csr", "csr ECDSA key must be on P-256 or P-384, not %s", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return warden.FieldErrorf("csr", "csr key type is not accepted: use ECDSA P-256/P-384, Ed25519 or RSA 2048-4096")
	}
	return nil
}
