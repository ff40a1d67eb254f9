package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// wardenBin is the warden binary built once for the tests that run it as a
// separate process (durability, audit verify exit codes, first start).
var (
	wardenBinOnce sync.Once
	wardenBinPath string
	wardenBinErr  error
)

func wardenBinary(t *testing.T) string {
	t.Helper()
	wardenBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "warden-bin-")
		if err != nil {
			wardenBinErr = err
			return
		}
		wardenBinPath = filepath.Join(dir, "warden")
		out, err := exec.Command("go", "build", "-o", wardenBinPath, ".").CombinedOutput()
		if err != nil {
			wardenBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if wardenBinErr != nil {
		t.Fatal(wardenBinErr)
	}
	return wardenBinPath
}

func TestMain(m *testing.M) {
	// Servers started by tests seal the issuer's keys under a fixed test
	// key-encryption key, so restarts on the same database keep working.
	os.Setenv(envKEK, testKEK)
	code := m.Run()
	if wardenBinPath != "" {
		os.RemoveAll(filepath.Dir(wardenBinPath))
	}
	os.Exit(code)
}

// serverProc is a "warden serve" subprocess.
type serverProc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	done chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs "warden serve" on a free loopback port and waits until
// /healthz answers.
func startServer(t *testing.T, dsn, tokenFile string, extra ...string) *serverProc {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--db", dsn, "--addr", addr, "--token-file", tokenFile}, extra...)
	cmd := exec.Command(wardenBinary(t), args...)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, &lockedWriter{w: logs}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, url: "http://" + addr, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("warden serve exited early:\n%s", p.logText())
		default:
		}
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("warden serve did not become healthy in 30s:\n%s", p.logText())
	return nil
}

func (p *serverProc) logText() string {
	if lw, ok := p.cmd.Stderr.(*lockedWriter); ok {
		lw.mu.Lock()
		defer lw.mu.Unlock()
	}
	return p.logs.String()
}

// kill sends SIGKILL: no shutdown hooks, no flushing, as in a crash.
func (p *serverProc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// runWarden runs the binary with args and returns its output and exit code.
func runWarden(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wardenBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run warden %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read token file: %v", err)
	}
	return strings.TrimSpace(string(b))
}
