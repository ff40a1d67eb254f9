package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKEK is the key-encryption key of servers the tests start (64 hex
// digits); TestMain puts it in the environment.
const testKEK = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func TestServe_RefusesToStartWithoutKEKOutsideDemo(t *testing.T) {
	t.Setenv(envKEK, "")
	for name, extra := range map[string][]string{
		"NoKEK":           nil,
		"MissingKEKFile":  {"--kek-file", filepath.Join(t.TempDir(), "nope")},
		"DemoBadKEKFile":  {"--demo", "--kek-file", filepath.Join(t.TempDir(), "nope")},
		"BadTrustDomain":  {"--trust-domain", "Example.ORG", "--kek-file", kekFile(t, 0o600)},
		"KEKFileTooOpen":  {"--kek-file", kekFile(t, 0o644)},
		"UpstreamKeyOnly": {"--kek-file", kekFile(t, 0o600), "--upstream-ca-key", "/x"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "w.db")}, extra...)
			cmd := newRootCmd(&strings.Builder{}, &strings.Builder{})
			cmd.SetArgs(args)
			err := cmd.ExecuteContext(t.Context())
			if err == nil {
				t.Fatal("serve started")
			}
			if name == "NoKEK" && !strings.Contains(err.Error(), "key-encryption key") {
				t.Errorf("error %q does not say what is missing", err)
			}
		})
	}
}

func kekFile(t *testing.T, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(path, []byte(testKEK+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServe_DemoWithoutKEKServesTheIssuer starts the binary in demo mode
// without any key-encryption key: it says the key is ephemeral and serves
// discovery naming its trust domain's issuer URL.
func TestServe_DemoWithoutKEKServesTheIssuer(t *testing.T) {
	t.Setenv(envKEK, "")
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "w.db")
	p := startServer(t, dbPath, filepath.Join(dir, "tok"), "--demo", "--trust-domain", "demo.example")
	if !strings.Contains(p.logText(), "demo key-encryption key") {
		t.Errorf("the log does not say the KEK is a demo key:\n%s", p.logText())
	}
	kekPath := filepath.Join(dir, "warden-demo.kek")
	info, err := os.Stat(kekPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("demo KEK file: %v, %v (want mode 0600)", info, err)
	}
	// The README's first command run a second time: the demo server must
	// start again on its own database and open the keys it sealed.
	p.kill()
	p = startServer(t, dbPath, filepath.Join(dir, "tok"), "--demo", "--trust-domain", "demo.example")
	resp, err := http.Get(p.url + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer != p.url {
		t.Fatalf("discovery issuer = %q (%v), want %q", doc.Issuer, err, p.url)
	}
}
