package issuer

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"net/url"
	"testing"
	"time"
)

// The JWT-SVID budget is ≤ 2× the raw signature of its algorithm; the
// X.509-SVID budget ≤ 2× a bare x509.CreateCertificate. Each pair runs in
// the same process so the ratio can be read off. Recording the credential
// in the store is excluded from both (it is measured by the HTTP token
// endpoint run).

func BenchmarkJWTSVID_RawSignES256(b *testing.B) {
	e := newEnv(b)
	k := e.is.keys.Load().jwtCurrent.signer.(*ecdsa.PrivateKey)
	msg := make([]byte, 400) // about the signing input of a JWT-SVID
	b.ResetTimer()
	for b.Loop() {
		sum := sha256.Sum256(msg)
		if _, err := ecdsa.SignASN1(rand.Reader, k, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWTSVID_MintES256(b *testing.B) {
	e := newEnv(b)
	c := e.workload(b, "billing")
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.is.mint(e.is.newClaims(c, []string{"https://api.example.org"}, DefaultJWTTTL), typJWTSVID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkX509SVID_BareCreateCertificate(b *testing.B) {
	e := newEnv(b)
	ca := e.is.keys.Load().caCurrent
	key, _ := newCSR(b)
	u, _ := url.Parse("spiffe://example.org/billing")
	b.ResetTimer()
	for b.Loop() {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), URIs: []*url.URL{u}}
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.signer); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkX509SVID_IssueFromCSR(b *testing.B) {
	e := newEnv(b)
	ca := e.is.keys.Load().caCurrent
	_, csr := newCSR(b)
	b.ResetTimer()
	for b.Loop() {
		req, err := checkCSR(csr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := signSVID(ca, "spiffe://example.org/billing", req.PublicKey, time.Now(), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
