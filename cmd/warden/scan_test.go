package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
)

// Fake secrets of the scan tests (random values made for these tests).
var scanSecrets = []string{
	"cDG8+IhDjX1lwX9F9uIQue/WET1PjGNbT5G7gk2P",
	"sk_live_dHS1aoy3C4ExDbfbPXWwVHgg",
	"mUHv3O1tP2ESWNhfU5",
}

func writeScanTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"ci/deploy.yml": "env:\n  AWS_ACCESS_KEY_ID: AKIAFAKEBVEPDTBMDE6P\n  AWS_SECRET_ACCESS_KEY: " + scanSecrets[0] + "\n",
		"app.env":       "STRIPE_KEY=" + scanSecrets[1] + "\nDATABASE_URL=postgres://app:" + scanSecrets[2] + "@db:5432/app\n",
		"README.md":     "nothing to see\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return -1
	}
	return 0
}

func assertNoScanSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range scanSecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s contains the secret %.4s…", what, s)
		}
	}
}

// TestScanCLI_FormatsExitCodesAndNoSecrets scans a tree in each format:
// findings exit 1, nothing secret is printed (stdout or stderr), and a
// baseline made from the JSON output accepts them all (exit 0).
func TestScanCLI_FormatsExitCodesAndNoSecrets(t *testing.T) {
	dir := writeScanTree(t)
	for _, format := range []string{"table", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			out, errOut, err := runCLI(t, "", "scan", "--format", format, dir)
			if exitCode(err) != scanExitFindings {
				t.Fatalf("exit %d (%v), want %d; stderr %s", exitCode(err), err, scanExitFindings, errOut)
			}
			for _, want := range []string{"aws-access-key-id", "aws-secret-access-key", "stripe-secret-key", "database-url-password"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s output lacks %s:\n%s", format, want, out)
				}
			}
			assertNoScanSecrets(t, format+" stdout", out)
			assertNoScanSecrets(t, format+" stderr", errOut)
			if !strings.Contains(errOut, "4 findings, 4 new") {
				t.Errorf("stderr summary = %q", errOut)
			}
		})
	}
	report, _, _ := runCLI(t, "", "scan", "--format", "json", dir)
	baseline := filepath.Join(t.TempDir(), "baseline.jsonl")
	if err := os.WriteFile(baseline, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, "", "scan", "--baseline", baseline, dir)
	if err != nil || out != "" || !strings.Contains(errOut, "4 findings, 0 new") {
		t.Fatalf("with baseline: err %v, out %q, stderr %q", err, out, errOut)
	}
	// Standard input, and a bad flag value exits 2.
	out, _, err = runCLI(t, "GITHUB_TOKEN=ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v\n", "scan", "--format", "json", "-")
	if exitCode(err) != 1 || !strings.Contains(out, `"file":"(stdin)"`) {
		t.Fatalf("stdin: exit %d, out %s", exitCode(err), out)
	}
	if _, _, err := runCLI(t, "", "scan", "--format", "xml", dir); exitCode(err) != scanExitError {
		t.Fatalf("bad format: exit %d", exitCode(err))
	}
}

// TestScanCLI_ServerCorrelatesWithoutSendingSecrets uploads to a real
// server: the table names the identity the AWS key belongs to, and the
// request body holds fingerprints and previews but no secret.
func TestScanCLI_ServerCorrelatesWithoutSendingSecrets(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, token, err := db.CreateToken(ctx, "ci-scanner", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	actx := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "test"})
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/deployer", Name: "deployer", Owner: "team-platform", Managed: true}
	if err := db.CreateIdentity(actx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCredential(actx, &warden.Credential{IdentityID: id.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAFAKEBVEPDTBMDE6P"}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	api := httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Leaks:    scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db}),
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: prometheus.NewRegistry(),
	})
	var mu sync.Mutex
	var bodies bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies.Write(body)
		bodies.WriteString(r.URL.String())
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv(envToken, token)

	dir := writeScanTree(t)
	out, errOut, err := runCLI(t, "", "scan", "--server", srv.URL, "--source", "nw/deploy", dir)
	if exitCode(err) != scanExitFindings {
		t.Fatalf("exit %d (%v); stderr %s", exitCode(err), err, errOut)
	}
	if !strings.Contains(out, "arn:aws:iam::402118867530:user/deployer (owner team-platform)") {
		t.Fatalf("table does not name the identity:\n%s", out)
	}
	mu.Lock()
	sent := bodies.String()
	mu.Unlock()
	if !strings.Contains(sent, `"fingerprint"`) || !strings.Contains(sent, "nw/deploy") {
		t.Fatalf("upload body = %s", sent)
	}
	assertNoScanSecrets(t, "upload", sent)
	assertNoScanSecrets(t, "server log", logs.String())
	assertNoScanSecrets(t, "stdout", out)
	leaks, _, err := db.FindLeaks(ctx, warden.LeakFilter{Source: "nw/deploy"})
	if err != nil || len(leaks) != 4 {
		t.Fatalf("stored leaks: %d, %v", len(leaks), err)
	}
}
