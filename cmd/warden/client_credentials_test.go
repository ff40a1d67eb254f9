package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestCredentialsAdd_SecretStdinSendsOnlyTheFingerprint(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	const secret = "northwind-test-secret-value-do-not-send"
	sum := sha256.Sum256([]byte(secret))
	fp := hex.EncodeToString(sum[:])
	ref := "arn:aws:iam::402118867530:user/backup-s3-writer"
	e.requests()

	out := mustRun(t, secret+"\n", "credentials", "add", ref, "--type", "access_key",
		"--public-id", "AKIATESTTESTEXAMPLE", "--secret-stdin", "--expires", "2031-01-01", "--json")
	var cred warden.Credential
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatal(err)
	}
	if cred.Fingerprint != fp || cred.Type != warden.CredentialAccessKey || cred.ExpiresAt == nil {
		t.Errorf("credential = %+v, want fingerprint %s", cred, fp)
	}
	post := lastRequest(t, e, "POST")
	if !strings.Contains(post.Body, `"fingerprint":"`+fp+`"`) {
		t.Errorf("POST body lacks the fingerprint: %s", post.Body)
	}

	// Looking a leaked secret up works the same way.
	out = mustRun(t, secret, "credentials", "list", "--secret-stdin", "--json")
	if !strings.Contains(out, cred.ID) || strings.Count(out, "\n") != 1 {
		t.Errorf("lookup by secret printed:\n%s", out)
	}
	out = mustRun(t, secret, "credentials", "update", cred.ID, "--secret-stdin", "--status", "revoked", "--json")
	if !strings.Contains(out, `"status":"revoked"`) {
		t.Errorf("update printed:\n%s", out)
	}

	for _, r := range e.requests() {
		if strings.Contains(r.URL, secret) || strings.Contains(r.Body, secret) {
			t.Fatalf("the secret reached the server: %s %s %s", r.Method, r.URL, r.Body)
		}
	}
}

func TestCredentialsAdd_NeedsAnIdentifier(t *testing.T) {
	newAPIEnv(t)
	mustRun(t, "", "identities", "create", "--kind", "api_key", "--provider", "stripe", "--external-id", "rk/billing")
	for name, c := range map[string]struct {
		stdin string
		args  []string
	}{
		"no id":        {"", []string{"credentials", "add", "rk/billing", "--type", "api_key"}},
		"empty stdin":  {"", []string{"credentials", "add", "rk/billing", "--type", "api_key", "--secret-stdin"}},
		"bad hex":      {"", []string{"credentials", "add", "rk/billing", "--type", "api_key", "--fingerprint", "abc"}},
		"both sources": {"x", []string{"credentials", "add", "rk/billing", "--type", "api_key", "--fingerprint", strings.Repeat("a", 64), "--secret-stdin"}},
	} {
		if _, _, err := runCLI(t, c.stdin, c.args...); err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
	// Upper-case hex is normalised.
	out := mustRun(t, "", "credentials", "add", "rk/billing", "--type", "api_key", "--fingerprint", strings.Repeat("AB", 32))
	if !strings.Contains(out, strings.Repeat("ab", 32)) {
		t.Errorf("output:\n%s", out)
	}
}

func TestCredentialsList_OfOneIdentityAndOfAll(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	out := mustRun(t, "", "credentials", "list", "arn:aws:iam::402118867530:user/jenkins-deployer")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || strings.Contains(lines[0], "IDENTITY") {
		t.Fatalf("table:\n%s", out)
	}
	if !strings.Contains(out, "inactive") || !strings.Contains(out, "EXAMPLE") {
		t.Errorf("table lacks the inactive second key:\n%s", out)
	}

	all := mustRun(t, "", "credentials", "list", "--type", "certificate")
	if !strings.Contains(all, "IDENTITY") || strings.Count(all, "\n") != 13 {
		t.Errorf("certificates table:\n%s", all)
	}
	if !strings.Contains(all, " ago") || !strings.Contains(all, "in ") {
		t.Errorf("EXPIRES should show expired and future certificates:\n%s", all)
	}
}
