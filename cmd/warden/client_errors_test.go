package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestClient_UnreachableServerSaysWhatToDo(t *testing.T) {
	addr := closedAddr(t)
	t.Setenv(envServer, addr)
	t.Setenv(envToken, "anything")
	_, _, err := runCLI(t, "", "identities", "list")
	want := "cannot reach warden at " + addr + ": is `warden serve` running? set --server or WARDEN_SERVER"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
	// --server overrides the environment.
	newAPIEnv(t)
	_, _, err = runCLI(t, "", "whoami", "--server", addr)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v, want it to name %s", err, addr)
	}
}

func TestClient_RejectedTokenSaysWhatToDo(t *testing.T) {
	newAPIEnv(t)
	t.Setenv(envToken, "wdn_not_a_real_token")
	_, _, err := runCLI(t, "", "identities", "list")
	if err == nil || warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	for _, want := range []string{"the token was rejected", "set WARDEN_TOKEN to a valid token", "warden admin token create --db"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
}

func TestClient_MissingTokenFailsBeforeCallingTheServer(t *testing.T) {
	e := newAPIEnv(t)
	t.Setenv(envToken, "")
	e.requests()
	_, _, err := runCLI(t, "", "whoami")
	if err == nil || !strings.Contains(err.Error(), "no API token: set WARDEN_TOKEN or pass --token-file") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("made %d requests without a token", n)
	}
}

func TestClient_TokenFile(t *testing.T) {
	e := newAPIEnv(t)
	t.Setenv(envToken, "")
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(e.admin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "", "whoami", "--token-file", path)
	if !strings.Contains(out, "test-admin") || !strings.Contains(out, "tokens:manage") {
		t.Errorf("whoami:\n%s", out)
	}
}

func TestClient_ForbiddenRoleSaysWhatToDo(t *testing.T) {
	newAPIEnv(t)
	out := mustRun(t, "", "tokens", "create", "reader", "--role", "auditor", "--json")
	var created struct {
		Token  warden.APIToken `json:"token"`
		Secret string          `json:"secret"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Secret == "" {
		t.Fatalf("tokens create --json = %s (%v)", out, err)
	}
	t.Setenv(envToken, created.Secret)
	_, _, err := runCLI(t, "", "identities", "create", "--kind", "bot", "--provider", "slack", "--external-id", "B1")
	if err == nil || warden.ErrorCode(err) != warden.EFORBIDDEN || !strings.Contains(err.Error(), "warden whoami") {
		t.Fatalf("err = %v, want forbidden with a hint", err)
	}
	mustRun(t, "", "identities", "list")
}

func TestClient_NotFound(t *testing.T) {
	newAPIEnv(t)
	_, _, err := runCLI(t, "", "identities", "get", "arn:aws:iam::000000000000:role/nope")
	if err == nil || warden.ErrorCode(err) != warden.ENOTFOUND || !strings.HasPrefix(err.Error(), "not found: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestClient_WarnsBeforeSendingTheTokenOverPlainHTTP(t *testing.T) {
	t.Setenv(envToken, "anything")
	_, errOut, err := runCLI(t, "", "whoami", "--server", "http://192.0.2.1:8080", "--timeout", "100ms")
	if err == nil {
		t.Fatal("reached a TEST-NET address")
	}
	if !strings.Contains(errOut, "warning: sending the API token to 192.0.2.1:8080 over plain HTTP") {
		t.Errorf("stderr = %q", errOut)
	}
	if _, errOut, _ := runCLI(t, "", "whoami", "--server", closedAddr(t)); errOut != "" {
		t.Errorf("warned for loopback: %q", errOut)
	}
}
