package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// TestImportCmd_X509DirectoryAndTLSEndpoint imports a directory of PEM
// files, in which a private key lies beside its certificate, and a live
// TLS endpoint on loopback: certificates arrive, keys never leave.
func TestImportCmd_X509DirectoryAndTLSEndpoint(t *testing.T) {
	db := newImportEnv(t)
	dir := t.TempDir()
	for _, name := range []string{"api-gateway-chain.pem", "billing-legacy.pem"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/x509", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "gateway.key"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// A key inside a certificate file is removed before upload.
	svid, _ := os.ReadFile("../../testdata/x509/shipment-api-svid.pem")
	if err := os.WriteFile(filepath.Join(dir, "svid-with-key.pem"), append(append([]byte{}, keyPEM...), svid...), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(endpoint.Close)
	addr := strings.TrimPrefix(endpoint.URL, "https://")

	out, errOut, err := runCLI(t, "", "import", "x509", dir, addr)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "skipped "+filepath.Join(dir, "gateway.key")+": it holds only private keys") {
		t.Fatalf("stderr = %q", errOut)
	}
	for _, want := range []string{"api-gateway-chain.pem", "billing-legacy.pem", "svid-with-key.pem", "tls://" + addr} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "PRIVATE KEY was skipped") {
		t.Fatalf("a private key reached the server:\n%s%s", out, errOut)
	}
	leaf := endpoint.Certificate()
	ids, _, err := db.FindIdentities(context.Background(), warden.IdentityFilter{Kind: warden.KindCertificate, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, i := range ids {
		names[i.Labels["x509.serial"]] = true
	}
	if len(ids) != 5 || !names[leaf.SerialNumber.Text(16)] {
		t.Fatalf("%d certificate identities, endpoint serial %s among them: %v", len(ids), leaf.SerialNumber.Text(16), names[leaf.SerialNumber.Text(16)])
	}
}

func TestStripPrivateKeys(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		keys, others   int
	}{
		{"CertOnly", "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n", 0, 1},
		{"KeyThenCert", "# note\n-----BEGIN RSA PRIVATE KEY-----\nSECRET\n-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n", "# note\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n", 1, 1},
		{"EncryptedKeyOnly", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nSECRET\n-----END ENCRYPTED PRIVATE KEY-----\n", "", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, keys, others := stripPrivateKeys([]byte(tc.in))
			if string(out) != tc.want || keys != tc.keys || others != tc.others || strings.Contains(string(out), "SECRET") {
				t.Fatalf("got %q, %d keys, %d others", out, keys, others)
			}
		})
	}
}
