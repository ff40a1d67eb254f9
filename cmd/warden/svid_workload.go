package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// File names svid fetch writes in its output directory, each mode 0600.
const (
	svidCertFile   = "svid.pem"       // X.509-SVID chain, leaf first
	svidKeyFile    = "svid.key"       // its private key, PKCS#8
	svidBundleFile = "bundle.pem"     // trust anchors of the trust domain
	svidJWTFile    = "jwt_svid.token" // JWT-SVID, when audiences are asked for
)

// svidFetcher is the workload side of the issuer: it attests, keeps an
// X.509-SVID (and optionally a JWT-SVID) in files, and renews them with a
// client assertion signed by the current SVID's key.
type svidFetcher struct {
	server    string // base URL of the warden server
	http      *http.Client
	outDir    string
	audiences []string // JWT-SVID audiences; none: no JWT-SVID
	// joinToken or oidcTokenFile is the first attestation; the OIDC token
	// file is read again whenever the SVID has lapsed (it may rotate).
	joinToken     string
	oidcTokenFile string
	log           io.Writer
	now           func() time.Time
	// renewAt says when to renew a credential valid from issued to expires.
	renewAt func(issued, expires time.Time) time.Time

	issuer   string // iss of warden's tokens, the base of assertion audiences
	chain    []*x509.Certificate
	key      crypto.Signer
	jwtFrom  time.Time
	jwtUntil time.Time
}

// halfLife renews when half of a credential's lifetime has passed.
func halfLife(issued, expires time.Time) time.Time { return issued.Add(expires.Sub(issued) / 2) }

// discover reads the issuer URL from the server's discovery document.
func (f *svidFetcher) discover(ctx context.Context) error {
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := f.call(ctx, "GET", "/.well-known/openid-configuration", "", nil, &doc); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	if doc.Issuer == "" {
		return errors.New("discovery: the document names no issuer")
	}
	f.issuer = doc.Issuer
	return nil
}

// attestation returns the bearer credential for an X.509-SVID request: a
// client assertion while the current SVID is valid, else the join token
// (once) or the OIDC token file's content.
func (f *svidFetcher) attestation() (string, error) {
	if len(f.chain) > 0 && f.now().Before(f.chain[0].NotAfter) {
		return f.assertion("/v1/svid/x509")
	}
	if f.joinToken != "" {
		tok := f.joinToken
		f.joinToken = "" // one-time: the server has used it up either way
		return tok, nil
	}
	if f.oidcTokenFile != "" {
		b, err := os.ReadFile(f.oidcTokenFile)
		if err != nil {
			return "", fmt.Errorf("read OIDC token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", errors.New("the SVID has lapsed and there is no attestation left: start again with a new join token")
}

// fetchX509 obtains a new X.509-SVID for a new key and writes the files.
func (f *svidFetcher) fetchX509(ctx context.Context) error {
	bearer, err := f.attestation()
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return fmt.Errorf("create CSR: %w", err)
	}
	var out struct {
		SPIFFEID string `json:"spiffe_id"`
		Chain    string `json:"chain"`
		Bundle   string `json:"bundle"`
	}
	body := map[string]string{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))}
	if err := f.call(ctx, "POST", "/v1/svid/x509", bearer, body, &out); err != nil {
		return fmt.Errorf("X.509-SVID: %w", err)
	}
	chain, err := parseCertsPEM([]byte(out.Chain))
	if err != nil {
		return fmt.Errorf("X.509-SVID: the server's chain: %w", err)
	}
	if _, err := parseCertsPEM([]byte(out.Bundle)); err != nil {
		return fmt.Errorf("X.509-SVID: the server's bundle: %w", err)
	}
	if !publicKeyMatches(chain[0], key) {
		return errors.New("X.509-SVID: the certificate is not for the key this workload sent")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	// The key first: a reader that sees the new certificate finds its key.
	for _, file := range []struct{ name, data string }{
		{svidKeyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))},
		{svidCertFile, out.Chain},
		{svidBundleFile, out.Bundle},
	} {
		if err := writeSecretFile(filepath.Join(f.outDir, file.name), file.data); err != nil {
			return fmt.Errorf("write %s: %w", file.name, err)
		}
	}
	f.chain, f.key = chain, key
	fmt.Fprintf(f.log, "wrote X.509-SVID %s, valid until %s\n", out.SPIFFEID, chain[0].NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// fetchJWT obtains a JWT-SVID for the audiences and writes it.
func (f *svidFetcher) fetchJWT(ctx context.Context) error {
	bearer, err := f.assertion("/v1/svid/jwt")
	if err != nil {
		return err
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := f.call(ctx, "POST", "/v1/svid/jwt", bearer, map[string]any{"audience": f.audiences}, &out); err != nil {
		return fmt.Errorf("JWT-SVID: %w", err)
	}
	if err := writeSecretFile(filepath.Join(f.outDir, svidJWTFile), out.Token+"\n"); err != nil {
		return fmt.Errorf("write %s: %w", svidJWTFile, err)
	}
	f.jwtFrom, f.jwtUntil = f.now(), out.ExpiresAt
	fmt.Fprintf(f.log, "wrote JWT-SVID for %s, valid until %s\n", strings.Join(f.audiences, ","), out.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// assertion signs an RFC 7523 client assertion for the endpoint with the
// current SVID's key, the SVID chain in x5c.
func (f *svidFetcher) assertion(path string) (string, error) {
	if len(f.chain) == 0 {
		return "", errors.New("no X.509-SVID yet")
	}
	x5c := make([]string, len(f.chain))
	for i, c := range f.chain {
		x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.key},
		&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"x5c": x5c}})
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	id := f.chain[0].URIs[0].String()
	now := f.now()
	payload, err := json.Marshal(map[string]any{"iss": id, "sub": id, "aud": f.issuer + path,
		"jti": base64.RawURLEncoding.EncodeToString(jti[:]), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	return jws.CompactSerialize()
}

// call sends a JSON request with an optional bearer credential and decodes
// a 2xx answer into out; an error answer becomes an error with its detail.
func (f *svidFetcher) call(ctx context.Context, method, path, bearer string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(f.server, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &p)
		if p.Detail == "" {
			p.Detail = http.StatusText(resp.StatusCode)
		}
		return fmt.Errorf("%s (status %d)", p.Detail, resp.StatusCode)
	}
	return json.Unmarshal(data, out)
}

// run attests, writes the credentials, and unless once keeps renewing each
// before it expires until ctx ends. Failed renewals are retried.
func (f *svidFetcher) run(ctx context.Context, once bool) error {
	if err := f.discover(ctx); err != nil {
		return err
	}
	if err := f.refresh(ctx, true); err != nil {
		return err
	}
	if once {
		return nil
	}
	for {
		wait := f.nextRenewal().Sub(f.now())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(max(wait, 0)):
		}
		if err := f.refresh(ctx, false); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(f.log, "renewal failed, retrying: %v\n", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retryDelay(f.chain, f.now())):
			}
		}
	}
}

// refresh renews whatever is due (everything when all is set).
func (f *svidFetcher) refresh(ctx context.Context, all bool) error {
	now := f.now()
	if all || len(f.chain) == 0 || !now.Before(f.renewAt(f.chain[0].NotBefore, f.chain[0].NotAfter)) {
		if err := f.fetchX509(ctx); err != nil {
			return err
		}
	}
	if len(f.audiences) > 0 && (all || !now.Before(f.renewAt(f.jwtFrom, f.jwtUntil))) {
		return f.fetchJWT(ctx)
	}
	return nil
}

// nextRenewal is the earliest renewal time of the credentials held.
func (f *svidFetcher) nextRenewal() time.Time {
	next := f.renewAt(f.chain[0].NotBefore, f.chain[0].NotAfter)
	if len(f.audiences) > 0 {
		if t := f.renewAt(f.jwtFrom, f.jwtUntil); t.Before(next) {
			next = t
		}
	}
	return next
}

// retryDelay waits a tenth of the SVID's remaining life, between 1 s and 30 s.
func retryDelay(chain []*x509.Certificate, now time.Time) time.Duration {
	d := 30 * time.Second
	if len(chain) > 0 {
		d = min(d, chain[0].NotAfter.Sub(now)/10)
	}
	return max(d, time.Second)
}

func parseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

func publicKeyMatches(c *x509.Certificate, key crypto.Signer) bool {
	pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(key.Public())
}
