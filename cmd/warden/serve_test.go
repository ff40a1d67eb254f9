package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServe_FirstStartWritesAdminTokenFile starts the binary on an empty
// SQLite database without --token-file and checks that the first admin
// token lands next to the database with mode 0600, that the log says where
// (and does not contain the token), and that a second start creates none.
func TestServe_FirstStartWritesAdminTokenFile(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "data", "warden.db")
	addr := freeAddr(t)
	cmd := exec.Command(wardenBinary(t), "serve", "--db", dbPath, "--addr", addr)
	logs := &lockedWriter{w: new(bytes.Buffer)}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitHealthy(t, "http://"+addr)

	tokenPath := filepath.Join(dir, "data", "warden-admin.token")
	info, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatalf("token file next to the database: %v\nlog:\n%s", err, logs.String())
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", info.Mode().Perm())
	}
	token := readToken(t, tokenPath)
	if !strings.HasPrefix(token, "wdn_") {
		t.Fatalf("token file holds %q", token)
	}
	log := logs.String()
	if !strings.Contains(log, tokenPath) || strings.Contains(log, token) {
		t.Fatalf("log must name the file and never the token:\n%s", log)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("whoami with the bootstrap token: %v %v", resp, err)
	}
	resp.Body.Close()

	// SIGTERM: graceful shutdown, exit 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(cmd, 20*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\nlog:\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no orderly shutdown in the log:\n%s", logs.String())
	}

	// A second start on the same database must not create another token.
	if err := os.Remove(tokenPath); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dbPath, filepath.Join(dir, "second.token"))
	srv.kill()
	if _, err := os.Stat(filepath.Join(dir, "second.token")); !os.IsNotExist(err) {
		t.Fatalf("a second start wrote a token file (err=%v)", err)
	}
}

func TestServe_RefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name, flag, value, want string
	}{
		{"BadLogLevel", "--log-level", "loud", "--log-level"},
		{"BadLogFormat", "--log-format", "xml", "--log-format"},
		{"BadAddr", "--addr", "not-an-address", "listen on not-an-address"},
		{"UnreachablePostgres", "--db", "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "open database"},
		{"MissingOnboardingPolicy", "--onboarding-policy", "/nonexistent/onboarding.cedar", "--onboarding-policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "w.db"), tc.flag, tc.value}
			_, errOut, code := runWarden(t, args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q, want it to mention %q", code, errOut, tc.want)
			}
		})
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not become healthy", url)
}

func waitExit(cmd *exec.Cmd, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		return os.ErrDeadlineExceeded
	}
}
