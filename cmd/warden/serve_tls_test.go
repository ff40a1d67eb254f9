package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// writeServerCert writes a self-signed certificate for 127.0.0.1 and its
// key as PEM files and returns their paths and a pool that trusts it.
func writeServerCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "warden test server"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// TestServe_TLSAndMTLSRenewal runs `warden serve` with --tls-cert/--tls-key:
// it answers HTTPS only, advertises an https issuer, and a workload renews
// its X.509-SVID over mTLS with the SVID itself as the client certificate —
// until that SVID is revoked.
func TestServe_TLSAndMTLSRenewal(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, roots := writeServerCert(t, dir)
	addr := freeAddr(t)
	tokenFile := filepath.Join(dir, "admin.token")
	cmd := exec.Command(wardenBinary(t), "serve", "--demo", "--db", filepath.Join(dir, "w.db"), "--addr", addr,
		"--token-file", tokenFile, "--trust-domain", "example.org", "--tls-cert", certFile, "--tls-key", keyFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &lockedWriter{w: &logs}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "https://" + addr
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	plain := client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := plain.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("warden serve did not become healthy over HTTPS in 30s:\n%s", cmd.Stderr.(*lockedWriter).String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("PlainHTTPIsRefused", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("plain HTTP to the TLS port: status %d, want 400", resp.StatusCode)
			}
		}
	})
	t.Run("IssuerIsHTTPS", func(t *testing.T) {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		getJSON(t, plain, base+"/.well-known/openid-configuration", "", &doc)
		if doc.Issuer != base {
			t.Fatalf("issuer %q, want %q", doc.Issuer, base)
		}
	})

	t.Run("RenewOverMTLSUntilRevoked", func(t *testing.T) {
		admin := readToken(t, tokenFile)
		var identity warden.Identity
		postJSON(t, plain, base+"/v1/identities", admin, `{"kind":"workload","provider":"warden","external_id":"spiffe://example.org/tls-renewal","name":"tls-renewal"}`, http.StatusCreated, &identity)
		var entry struct {
			ID string `json:"id"`
		}
		postJSON(t, plain, base+"/v1/issuer/entries", admin, fmt.Sprintf(`{"spiffe_id":"spiffe://example.org/tls-renewal","identity_id":%q,"method":"join_token"}`, identity.ID), http.StatusCreated, &entry)
		var join struct {
			Token string `json:"secret"`
		}
		postJSON(t, plain, base+"/v1/issuer/entries/"+entry.ID+"/join-tokens", admin, `{}`, http.StatusCreated, &join)
		if !strings.HasPrefix(join.Token, "wjt_") {
			t.Fatalf("join token %+v", join)
		}

		// First SVID with the join token, then a renewal with only that
		// SVID as the TLS client certificate.
		first, firstKey := fetchSVID(t, plain, base, "Bearer "+join.Token, http.StatusOK)
		renewed, _ := fetchSVID(t, client(tls.Certificate{Certificate: first, PrivateKey: firstKey}), base, "", http.StatusOK)
		leaf, _ := x509.ParseCertificate(renewed[0])
		if len(leaf.URIs) != 1 || leaf.URIs[0].String() != "spiffe://example.org/tls-renewal" {
			t.Fatalf("renewed SVID names %v", leaf.URIs)
		}
		if old, _ := x509.ParseCertificate(first[0]); old.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			t.Fatal("the renewal returned the same certificate")
		}
		// Without a client certificate or any other credential: refused.
		fetchSVID(t, plain, base, "", http.StatusUnauthorized)

		var revoked struct {
			Revoked int `json:"revoked"`
		}
		postJSON(t, plain, base+"/v1/issuer/revocations", admin, fmt.Sprintf(`{"identity_id":%q,"reason":"test"}`, identity.ID), http.StatusOK, &revoked)
		if revoked.Revoked < 2 {
			t.Fatalf("revoked %d credentials, want both SVIDs", revoked.Revoked)
		}
		fetchSVID(t, client(tls.Certificate{Certificate: first, PrivateKey: firstKey}), base, "", http.StatusUnauthorized)
	})
}

// fetchSVID asks POST /v1/svid/x509 for an X.509-SVID with a fresh key,
// authenticated by authorization (if any) and the client's certificate,
// and returns the chain (DER, leaf first) and the key when want is 200.
func fetchSVID(t *testing.T, c *http.Client, base, authorization string, want int) ([][]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}))})
	var out struct {
		Chain string `json:"chain"`
	}
	postJSON(t, c, base+"/v1/svid/x509", strings.TrimPrefix(authorization, "Bearer "), string(body), want, &out)
	if want != http.StatusOK {
		return nil, nil
	}
	var chain [][]byte
	rest := []byte(out.Chain)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		chain = append(chain, b.Bytes)
	}
	if len(chain) == 0 {
		t.Fatalf("no certificates in %q", out.Chain)
	}
	return chain, key
}

func postJSON(t *testing.T, c *http.Client, url, token, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: status %d, want %d: %s", url, resp.StatusCode, want, data)
	}
	if out != nil && want < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("POST %s: %v in %s", url, err, data)
		}
	}
}

func getJSON(t *testing.T, c *http.Client, url, token string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
