package x509

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// samples are the Northwind certificates under testdata/x509.
var samples = []string{"northwind-ca-bundle.pem", "api-gateway-chain.pem", "shipment-api-svid.pem", "billing-legacy.pem"}

func readSample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/x509", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func importCtx() context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "importer"})
}

func forEachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

// TestParse_Golden pins what each sample file imports: identities with
// their labels and purpose, credentials, warnings.
func TestParse_Golden(t *testing.T) {
	view := map[string]any{}
	for _, name := range samples {
		batch, warnings, err := Parse(bytes.NewReader(readSample(t, name)), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := []map[string]any{}
		for _, i := range batch.Identities {
			ids = append(ids, map[string]any{"kind": i.Kind, "provider": i.Provider, "external_id": i.ExternalID, "name": i.Name,
				"purpose": i.Purpose, "labels": i.Labels, "managed": i.Managed})
		}
		creds := []map[string]any{}
		for _, c := range batch.Credentials {
			k := c.Credential
			creds = append(creds, map[string]any{"identity": c.Identity, "type": k.Type, "public_id": k.PublicID, "description": k.Description,
				"status": k.Status, "expires_at": k.ExpiresAt, "last_rotated_at": k.LastRotatedAt})
		}
		if warnings == nil {
			warnings = []string{}
		}
		view[name] = map[string]any{"identities": ids, "credentials": creds, "warnings": warnings}
	}
	got, _ := json.MarshalIndent(view, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "certificates.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("differs from %s (go test -update after checking):\n%s", path, got)
	}
}

// TestParse_Facts checks the facts governance reads, one case per sample
// certificate.
func TestParse_Facts(t *testing.T) {
	for _, tc := range []struct {
		name, file, cn                  string
		keyType, bits, sigAlg, spiffeID string
		isCA                            string
		notAfter                        string
	}{
		{"IssuingCA", "northwind-ca-bundle.pem", "Northwind Issuing CA 1", "ECDSA", "384", "SHA256-RSA", "", "true", "2030-06-01T00:00:00Z"},
		{"RootCA", "northwind-ca-bundle.pem", "Northwind Root CA", "RSA", "3072", "SHA256-RSA", "", "true", "2044-01-01T00:00:00Z"},
		{"TLSServer", "api-gateway-chain.pem", "api.northwind.example", "ECDSA", "256", "ECDSA-SHA384", "", "false", "2026-05-11T00:00:00Z"},
		{"SPIFFESVID", "shipment-api-svid.pem", "spiffe://northwind.example/ns/prod/sa/shipment-api", "ECDSA", "256", "ECDSA-SHA384", "spiffe://northwind.example/ns/prod/sa/shipment-api", "false", "2026-03-01T11:00:00Z"},
		{"WeakSHA1", "billing-legacy.pem", "billing-legacy.corp.northwind.example", "RSA", "1024", "SHA1-RSA", "", "false", "2026-04-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			batch, _, err := Parse(bytes.NewReader(readSample(t, tc.file)), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			for n, i := range batch.Identities {
				if i.Name != tc.cn {
					continue
				}
				l := i.Labels
				if l["x509.key_type"] != tc.keyType || l["x509.key_bits"] != tc.bits || l["x509.signature_algorithm"] != tc.sigAlg ||
					l["x509.spiffe_id"] != tc.spiffeID || l["x509.is_ca"] != tc.isCA || l["x509.not_after"] != tc.notAfter {
					t.Fatalf("labels = %v", l)
				}
				if err := i.Validate(); err != nil || i.Kind != warden.KindCertificate {
					t.Fatalf("identity %+v: %v", i, err)
				}
				c := batch.Credentials[n].Credential
				if c.Type != warden.CredentialCertificate || !strings.HasPrefix(c.PublicID, SPKIPrefix) || len(c.PublicID) != len(SPKIPrefix)+64 ||
					c.ExpiresAt.Format(time.RFC3339) != tc.notAfter {
					t.Fatalf("credential = %+v", c)
				}
				return
			}
			t.Fatalf("no certificate named %q", tc.cn)
		})
	}
}

func TestParse_Malformed(t *testing.T) {
	good := string(readSample(t, "shipment-api-svid.pem"))
	body := strings.TrimSpace(good[strings.Index(good, "-----BEGIN"):])
	for _, tc := range []struct{ name, input, want string }{
		{"Empty", "", "certs.pem: the input is empty"},
		{"NoPEM", "hello\nworld\n", "certs.pem: no PEM block found"},
		{"NotClosed", good + "-----BEGIN CERTIFICATE-----\nMIIB\n", `certs.pem: record 2: PEM block "CERTIFICATE" has no -----END line`},
		{"BadBase64", "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n", "certs.pem: record 1: PEM block \"CERTIFICATE\" is not valid base64"},
		{"NotACertificate", good + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certs.pem: record 2: not a valid X.509 certificate"},
		{"MismatchedEnd", strings.Replace(body, "-----END CERTIFICATE-----", "-----END PUBLIC KEY-----", 1), `record 1: PEM block "CERTIFICATE" ends with -----END PUBLIC KEY-----`},
		{"Binary", strings.Repeat("\x30\x82", 40000), "certs.pem: record 1: a line is longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse(strings.NewReader(tc.input), "certs.pem")
			if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tc.want) {
				t.Fatalf("error = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

// TestParse_SkipsKeysAndDuplicates: private keys are never read, the same
// certificate twice is one identity, and a second certificate with the
// same key does not repeat the credential.
func TestParse_SkipsKeysAndDuplicates(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	renewed := testCert(t, key, "renewed.northwind.example", 2)
	input := string(readSample(t, "shipment-api-svid.pem")) + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})) +
		string(readSample(t, "shipment-api-svid.pem")) + string(testCert(t, key, "renewed.northwind.example", 1)) + string(renewed)
	batch, warnings, err := Parse(strings.NewReader(input), "mixed.pem")
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Identities) != 3 || len(batch.Credentials) != 2 || len(warnings) != 3 {
		t.Fatalf("%d identities, %d credentials, warnings %q", len(batch.Identities), len(batch.Credentials), warnings)
	}
	for n, want := range []string{"block 2: a PRIVATE KEY was skipped", "block 3: the certificate of block 1 again", "block 5: renewed.northwind.example reuses the key of renewed.northwind.example"} {
		if !strings.HasPrefix(warnings[n], want) {
			t.Errorf("warning %d = %q, want %q...", n, warnings[n], want)
		}
	}
	if strings.Contains(input, "PRIVATE KEY") && strings.Contains(warnings[0], string(keyDER[:8])) {
		t.Fatal("the warning quotes the key")
	}
}

func testCert(tb testing.TB, key *ecdsa.PrivateKey, cn string, serial int64) []byte {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestImport_SamplesAreIdempotent imports every sample file (the issuing
// CA is in two of them) and then again: the second round changes nothing
// and writes no audit record.
func TestImport_SamplesAreIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		im := &Importer{Store: db}
		run := func() []*warden.ImportReport {
			var out []*warden.ImportReport
			for _, name := range samples {
				rep, err := im.Import(importCtx(), bytes.NewReader(readSample(t, name)), name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				out = append(out, rep)
			}
			return out
		}
		first := run()
		created := 0
		for _, r := range first {
			created += r.Identities.Created
		}
		if created != 5 || first[1].Identities.Unchanged != 1 || first[1].Credentials.Unchanged != 1 {
			t.Fatalf("first import: %d identities created; api-gateway-chain %+v", created, *first[1])
		}
		before, _ := db.VerifyAudit(context.Background())
		for _, r := range run() {
			if r.Identities.Created+r.Identities.Updated+r.Credentials.Created+r.Credentials.Updated != 0 {
				t.Errorf("re-import of %s changed something: %+v", r.Ref, *r)
			}
		}
		after, _ := db.VerifyAudit(context.Background())
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-import wrote %d audit records", after.Records-before.Records)
		}
		legacy, _, err := db.FindIdentities(context.Background(), warden.IdentityFilter{Provider: Provider, Kind: warden.KindCertificate, Query: "billing-legacy"})
		if err != nil || len(legacy) != 1 || legacy[0].Labels["x509.signature_algorithm"] != "SHA1-RSA" {
			t.Fatalf("billing-legacy = %+v, %v", legacy, err)
		}
	})
}

// TestImport_RenewalKeepingItsKey: a renewed certificate with the same key
// is a new identity; the key stays one credential, on the first one.
func TestImport_RenewalKeepingItsKey(t *testing.T) {
	db := storetest.OpenSQLite(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	im := &Importer{Store: db}
	if _, err := im.Import(importCtx(), bytes.NewReader(testCert(t, key, "edge.northwind.example", 1)), "old.pem"); err != nil {
		t.Fatal(err)
	}
	rep, err := im.Import(importCtx(), bytes.NewReader(testCert(t, key, "edge.northwind.example", 2)), "new.pem")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identities.Created != 1 || rep.Credentials.Created != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "reuses the key") {
		t.Fatalf("report = %+v", *rep)
	}
}

// TestImport_LeakedPrivateKeyCorrelatesToCertificate imports a certificate
// and then reports its private key, found by the secret scanner, to the
// scan ledger: the leak is tied to the certificate's identity through the
// spki-sha256 public id.
func TestImport_LeakedPrivateKeyCorrelatesToCertificate(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if _, err := (&Importer{Store: db}).Import(importCtx(), bytes.NewReader(testCert(t, key, "edge.northwind.example", 7)), "edge.pem"); err != nil {
			t.Fatal(err)
		}
		cert, err := db.FindIdentityByRef(context.Background(), "serial=7;issuer=CN=edge.northwind.example", Provider)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
		scanner, err := scan.New()
		if err != nil {
			t.Fatal(err)
		}
		found := scanner.Scan(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), scan.Loc{File: "deploy/edge.key"})
		if len(found) != 1 {
			t.Fatalf("scanner found %d secrets", len(found))
		}
		leak := found[0].Leak("nw/edge")
		ledger := scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db})
		if err := ledger.RecordLeaks(importCtx(), []*warden.Leak{leak}); err != nil {
			t.Fatal(err)
		}
		if leak.IdentityID != cert.ID || leak.MatchedBy != warden.MatchKeyFingerprint || leak.BlastRadius == nil || leak.BlastRadius.ExternalID != cert.ExternalID {
			t.Fatalf("leak = %+v", leak)
		}
	})
}

// TestImport_MalformedWritesNothing: a bad block after good ones stores
// none of the file.
func TestImport_MalformedWritesNothing(t *testing.T) {
	db := storetest.OpenSQLite(t)
	input := string(readSample(t, "northwind-ca-bundle.pem")) + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	_, err := (&Importer{Store: db}).Import(importCtx(), strings.NewReader(input), "bad-bundle.pem")
	if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(err.Error(), "bad-bundle.pem: record 3") {
		t.Fatalf("error = %v", err)
	}
	ids, _, _ := db.FindIdentities(context.Background(), warden.IdentityFilter{})
	if len(ids) != 0 {
		t.Fatalf("%d identities stored", len(ids))
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range samples {
		f.Add(readSample(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		batch, _, err := Parse(bytes.NewReader(data), "fuzz.pem")
		if err != nil {
			if code := warden.ErrorCode(err); code != warden.EINVALID && code != warden.ETOOLARGE {
				t.Fatalf("error %v has code %s", err, code)
			}
			return
		}
		for _, i := range batch.Identities {
			if err := i.Validate(); err != nil {
				t.Fatalf("identity %+v: %v", i, err)
			}
		}
		for _, c := range batch.Credentials {
			if err := c.Credential.Validate(); err != nil {
				t.Fatalf("credential %+v: %v", c.Credential, err)
			}
		}
	})
}
