package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// rawCSR builds a PKCS#10 request by hand for an RSA modulus n and
// exponent e with a random (invalid) signature of the modulus' size:
// crypto/x509 cannot make such requests, since it checks what it signs.
// Verifying it costs what a valid one of that size would.
func rawCSR(t testing.TB, n *big.Int, e int) []byte {
	t.Helper()
	type spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	type tbs struct {
		Version   int
		Subject   asn1.RawValue
		PublicKey spki
		Attrs     []asn1.RawValue `asn1:"tag:0"`
	}
	type request struct {
		TBS    tbs
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}
	null := asn1.RawValue{Tag: asn1.TagNull}
	key, err := asn1.Marshal(struct {
		N *big.Int
		E int
	}{n, e})
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, (n.BitLen()+7)/8)
	if _, err := rand.Read(sig); err != nil {
		t.Fatal(err)
	}
	sig[0] = 0
	der, err := asn1.Marshal(request{
		TBS: tbs{Subject: asn1.RawValue{FullBytes: []byte{0x30, 0}}, Attrs: []asn1.RawValue{},
			PublicKey: spki{Algorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, Parameters: null},
				PublicKey: asn1.BitString{Bytes: key, BitLength: 8 * len(key)}}},
		SigAlg: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: null},
		Sig:    asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// oddModulus is an odd number of exactly bits bits.
func oddModulus(bits int) *big.Int {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return n.Add(n, big.NewInt(12345))
}

func signedCSR(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "ignored"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func testdataCSR(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "csr", name))
	if err != nil {
		t.Fatal(err)
	}
	der, err := ParseCSR(data)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCheckCSR_RefusesCostlyKeysBeforeVerifying is the regression test of
// the FuzzParseCSR stall: a CSR whose RSA modulus fills the 16 KiB limit
// (~60,000 bits) took ~190 ms to verify, ~2,000 times a 2048-bit one.
// Keys outside the allow-list are now refused for their size or type —
// the error says so, not "signature does not verify", which proves the
// signature arithmetic never ran.
func TestCheckCSR_RefusesCostlyKeysBeforeVerifying(t *testing.T) {
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		der  []byte
		want string
	}{
		"RSA60000":        {rawCSR(t, oddModulus(60000), 65537), "60000 bits: 2048 to 4096"},
		"RSA8192":         {rawCSR(t, oddModulus(8192), 65537), "8192 bits"},
		"RSA4097":         {rawCSR(t, oddModulus(4097), 65537), "4097 bits"},
		"RSA1024":         {rawCSR(t, oddModulus(1024), 65537), "1024 bits"},
		"RSAHugeExponent": {rawCSR(t, oddModulus(4096), 1<<31-1), "exponent must be 65537"},
		"RSAExponent3":    {rawCSR(t, oddModulus(2048), 3), "exponent must be 65537"},
		"P224":            {signedCSR(t, p224), "P-256 or P-384, not P-224"},
		"P521":            {testdataCSR(t, "p521.csr.pem"), "P-256 or P-384, not P-521"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := checkCSR(tc.der)
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "csr" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want invalid csr %q", err, tc.want)
			}
		})
	}
}

// TestCheckCSR_AcceptsAllowedKeys: every key of the allow-list passes with
// a valid signature, and a forged signature on an allowed key does not.
func TestCheckCSR_AcceptsAllowedKeys(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{
		"P256":    signedCSR(t, p256),
		"P384":    signedCSR(t, p384),
		"Ed25519": signedCSR(t, ed),
		"RSA2048": signedCSR(t, rsa2048),
		"RSA4096": testdataCSR(t, "rsa4096.csr.pem"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := checkCSR(der); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := checkCSR(rawCSR(t, rsa2048.N, rsa2048.E)); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
		t.Fatalf("forged signature on an allowed key: %v", err)
	}
}

// BenchmarkCheckCSR_HugeRSAKey measures refusing the largest RSA key that
// fits the CSR limit beside accepting a P-256 request (the baseline in the
// same run): the refusal costs parsing only.
func BenchmarkCheckCSR_HugeRSAKey(b *testing.B) {
	for name, der := range map[string][]byte{
		"P256Baseline": func() []byte { _, d := newCSR(b); return d }(),
		"RSA60000":     rawCSR(b, oddModulus(60000), 65537),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = checkCSR(der)
			}
		})
	}
}
