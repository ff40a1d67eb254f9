package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

func forEachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

func scanCtx() context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "system", ID: "scan-test"})
}

func newLedger(db *store.DB) *Ledger {
	return NewLedger(LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db})
}

// inventory creates an identity with one credential.
func inventory(t *testing.T, db *store.DB, id *warden.Identity, cred *warden.Credential) (*warden.Identity, *warden.Credential) {
	t.Helper()
	ctx := scanCtx()
	if err := db.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	cred.IdentityID = id.ID
	if err := db.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	return id, cred
}

func recordFindings(t *testing.T, l *Ledger, source string, fs []Finding) []*warden.Leak {
	t.Helper()
	leaks := make([]*warden.Leak, len(fs))
	for i := range fs {
		leaks[i] = fs[i].Leak(source)
	}
	if err := l.RecordLeaks(scanCtx(), leaks); err != nil {
		t.Fatal(err)
	}
	return leaks
}

// TestLedger_LeakedAccessKeyNamesIdentityAndRaisesNHI2 is the end-to-end
// path: the CI workflow of the corpus leaks an AWS access key whose id is
// recorded on an IAM user; recording the scan's findings names the user,
// its owner, permissions and last use, and opens a critical NHI2 finding.
func TestLedger_LeakedAccessKeyNamesIdentityAndRaisesNHI2(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		lastUsed := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
		user, cred := inventory(t, db,
			&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/payments-ci",
				Name: "payments-ci", Owner: "team-payments", Environment: "prod", Managed: true},
			&warden.Credential{Type: warden.CredentialAccessKey, PublicID: "AKIAFAKEBVEPDTBMDE6P", LastUsedAt: &lastUsed})
		err := db.ReplaceGrants(scanCtx(), user.ID, "aws-iam", []*warden.Grant{
			{Kind: warden.GrantPermission, Effect: "allow", Actions: []string{"*"}, Resources: []string{"*"}, Via: "arn:aws:iam::aws:policy/AdministratorAccess", Source: "aws-iam"},
		})
		if err != nil {
			t.Fatal(err)
		}
		s := mustScanner(t)
		res, err := s.ScanPaths(context.Background(), []string{corpusFiles + "/.github/workflows/deploy.yml"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		leaks := recordFindings(t, newLedger(db), "nw/billing", res.Findings)

		var key *warden.Leak
		for _, lk := range leaks {
			if lk.Rule == "aws-access-key-id" {
				key = lk
			} else if lk.IdentityID != "" {
				t.Errorf("leak %s correlated to %s, want none", lk.Rule, lk.IdentityID)
			}
		}
		if key == nil || key.IdentityID != user.ID || key.CredentialID != cred.ID || key.MatchedBy != warden.MatchPublicID {
			t.Fatalf("access key leak = %+v", key)
		}
		br := key.BlastRadius
		if br == nil || br.ExternalID != user.ExternalID || br.Owner != "team-payments" || br.Environment != "prod" ||
			!br.Admin || len(br.Permissions) != 1 || br.Permissions[0] != "* on *" ||
			br.LastUsedAt == nil || !br.LastUsedAt.Equal(lastUsed) || br.CredentialStatus != "active" {
			t.Fatalf("blast radius = %+v", br)
		}
		findings, _, err := db.FindFindings(context.Background(), warden.FindingFilter{IdentityID: user.ID, RuleID: LeakRuleID})
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) != 1 {
			t.Fatalf("%d secret-leaked findings, want 1", len(findings))
		}
		f := findings[0]
		if f.Severity != warden.SeverityCritical || f.Status != warden.FindingOpen || f.Subject != cred.ID || f.Source != "scan" ||
			len(f.OWASP) != 1 || f.OWASP[0] != "NHI2" || !strings.Contains(f.Title, ".github/workflows/deploy.yml:16") {
			t.Fatalf("finding = %+v", f)
		}
		// Listing leaks by identity gives the same blast radius.
		listed, _, err := newLedger(db).FindLeaks(context.Background(), warden.LeakFilter{IdentityID: user.ID})
		if err != nil || len(listed) != 1 || listed[0].BlastRadius == nil || listed[0].BlastRadius.Owner != "team-payments" {
			t.Fatalf("FindLeaks = %+v, %v", listed, err)
		}
		// Reporting the same scan again refreshes; it adds no finding.
		recordFindings(t, newLedger(db), "nw/billing", res.Findings)
		again, _, _ := db.FindFindings(context.Background(), warden.FindingFilter{IdentityID: user.ID})
		all, _, _ := db.FindLeaks(context.Background(), warden.LeakFilter{})
		if len(again) != 1 || len(all) != len(leaks) || all[0].SeenCount != 2 {
			t.Fatalf("after re-report: %d findings, %d leaks (seen %d)", len(again), len(all), all[0].SeenCount)
		}
	})
}

// TestLedger_LeakedPrivateKeyMatchesInventoriedCertificate generates a key
// and a certificate for it, records the certificate's public key
// (SubjectPublicKeyInfo SHA-256) on a certificate identity, and expects a
// leak of the private key to be tied to that identity.
func TestLedger_LeakedPrivateKeyMatchesInventoriedCertificate(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: bigOne(), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"edge.nw-freight.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	for name, publicID := range map[string]func(spki string) (string, string){
		"FingerprintIsSPKI": func(spki string) (string, string) { return "serial:1", spki },
		"PublicIDIsSPKI":    func(spki string) (string, string) { return SPKIPrefix + spki, "" },
	} {
		t.Run(name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, db *store.DB) {
				pub, fp := publicID(SPKIFingerprint(cert.PublicKey))
				id, cred := inventory(t, db,
					&warden.Identity{Kind: warden.KindCertificate, Provider: "x509", ExternalID: "CN=edge.nw-freight.test", Name: "edge TLS", Owner: "team-edge", Managed: true},
					&warden.Credential{Type: warden.CredentialCertificate, PublicID: pub, Fingerprint: fp})
				fs := mustScanner(t).Scan(append([]byte("# edge proxy key\n"), keyPEM...), Loc{File: "proxy/tls.key"})
				if len(fs) != 1 || fs[0].KeyFingerprint == "" {
					t.Fatalf("findings = %+v", fs)
				}
				leaks := recordFindings(t, newLedger(db), "nw/edge", fs)
				if leaks[0].IdentityID != id.ID || leaks[0].CredentialID != cred.ID || leaks[0].MatchedBy != warden.MatchKeyFingerprint {
					t.Fatalf("leak = %+v", leaks[0])
				}
				if leaks[0].BlastRadius.Owner != "team-edge" {
					t.Fatalf("blast radius = %+v", leaks[0].BlastRadius)
				}
			})
		})
	}
}

// TestLedger_TokenFingerprintMatchesCredential: a token recorded by its
// SHA-256 fingerprint (credentials add --secret-stdin) is recognised.
func TestLedger_TokenFingerprintMatchesCredential(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		token := "ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v"
		id, _ := inventory(t, db,
			&warden.Identity{Kind: warden.KindCIIdentity, Provider: warden.ProviderGitHub, ExternalID: "nw-freight/release-bot", Name: "release-bot", Managed: true},
			&warden.Credential{Type: warden.CredentialToken, Fingerprint: Fingerprint([]byte(token))})
		fs := mustScanner(t).Scan([]byte("GITHUB_TOKEN="+token+"\n"), Loc{File: ".env"})
		leaks := recordFindings(t, newLedger(db), "nw/release", fs)
		if len(leaks) != 1 || leaks[0].IdentityID != id.ID || leaks[0].MatchedBy != warden.MatchFingerprint {
			t.Fatalf("leaks = %+v", leaks)
		}
		if br := leaks[0].BlastRadius; br.Owner != "" || br.Admin || len(br.Permissions) != 0 {
			t.Fatalf("blast radius of an unowned identity without grants = %+v", br)
		}
	})
}

// TestLedger_NoSecretIsStored records the findings of the whole corpus and
// searches every stored row — leaks, audit log, findings — for the secrets.
func TestLedger_NoSecretIsStored(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		s := mustScanner(t)
		secrets := corpusSecrets(t, s)
		_, _ = inventory(t, db,
			&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/ci", Name: "ci", Managed: true},
			&warden.Credential{Type: warden.CredentialAccessKey, PublicID: "AKIAFAKEBVEPDTBMDE6P"})
		recordFindings(t, newLedger(db), "nw/corpus", scanCorpus(t, s).Findings)
		var dump strings.Builder
		for _, table := range []string{"leaks", "audit_log", "findings"} {
			rows, err := db.SQL().Query("SELECT * FROM " + table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					switch v := v.(type) {
					case string:
						dump.WriteString(v)
					case []byte:
						dump.Write(v)
					}
					dump.WriteByte('\n')
				}
				n++
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("table %s is empty", table)
			}
		}
		assertNoSecrets(t, "stored rows", []byte(dump.String()), secrets)
	})
}

func bigOne() *big.Int { return big.NewInt(1) }
