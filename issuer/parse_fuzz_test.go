package issuer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// FuzzVerifyJWT feeds arbitrary text to the JWT header and claims parser
// and the full verifier: it must never panic, every refusal must be
// EUNAUTHORIZED, and anything accepted must satisfy what was asked (the
// fuzzer cannot forge the ES256 signature, so only the seed token passes).
// Seeds: testdata/fuzz/FuzzVerifyJWT (alg none, HS256, crit, x5c garbage,
// nested act, malformed parts) and a valid token.
func FuzzVerifyJWT(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	const iss = "https://warden.test"
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1").WithType("JWT"))
	if err != nil {
		f.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"iss":"https://warden.test","sub":"spiffe://example.org/a","aud":"x","exp":1700000300,"iat":1700000000,"jti":"j1","act":{"sub":"b"}}`))
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := jws.CompactSerialize()
	f.Add(valid)
	opts := verifyOptions{
		algorithms: SigningAlgorithms,
		lookup: func(kid string) (verifyKey, bool) {
			return verifyKey{key: &key.PublicKey, alg: jose.ES256}, kid == "k1"
		},
		issuer: iss, audience: "x", types: []string{"JWT", "at+jwt"}, now: now, requireJTI: true,
	}
	refusal := func(t *testing.T, what string, err error) {
		if code := warden.ErrorCode(err); code != warden.EUNAUTHORIZED {
			t.Fatalf("%s: error code %q (%v), want %q", what, code, err, warden.EUNAUTHORIZED)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := parseHeader(raw); err != nil {
			refusal(t, "parseHeader", err)
		}
		if _, err := unsafeIssuer(raw); err != nil {
			refusal(t, "unsafeIssuer", err)
		}
		c, _, err := verifyJWT(raw, opts)
		if err != nil {
			refusal(t, "verifyJWT", err)
			return
		}
		if c.Issuer != iss || c.ID == "" || c.Expiry == nil || !now.Before(c.Expiry.Time().Add(clockSkew)) {
			t.Fatalf("accepted claims break the options: %+v", c)
		}
		_ = c.Act.chain()
	})
}

// FuzzParseCSR feeds arbitrary bytes to the CSR parser and checker used by
// POST /v1/svid/x509: never a panic, every refusal an EINVALID naming the
// csr field. Seeds: testdata/fuzz/FuzzParseCSR (PEM, DER, a certificate, a
// weak RSA key, an 8192-bit RSA key — refused before its signature is
// verified, see TestCheckCSR_RefusesCostlyKeysBeforeVerifying —, truncated
// PEM, empty). Pauses of a few seconds in the exec count are the fuzzer
// minimizing new inputs of KB size (GODEBUG=fuzzdebug=1 shows them), not
// slow inputs.
func FuzzParseCSR(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		der, err := ParseCSR(data)
		if err == nil {
			_, err = checkCSR(der)
		}
		if err != nil && (warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "csr") {
			t.Fatalf("error %v: code %q field %q, want invalid/csr", err, warden.ErrorCode(err), warden.ErrorField(err))
		}
	})
}

// FuzzParseKEK: any input is refused or yields a working 32-byte key.
func FuzzParseKEK(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKEK(data)
		if err != nil {
			return
		}
		sealed, err := k.Seal([]byte("secret"), "id")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := k.Open(sealed, "id"); err != nil || string(out) != "secret" {
			t.Fatalf("round trip: %q, %v", out, err)
		}
	})
}
