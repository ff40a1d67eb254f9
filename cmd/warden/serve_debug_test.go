package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// --debug-addr serves the profiling endpoints on their own loopback
// listener; the API does not serve them.
func TestServe_DebugAddrServesProfilesApartFromTheAPI(t *testing.T) {
	dir := t.TempDir()
	debug := freeAddr(t)
	srv := startServer(t, filepath.Join(dir, "w.db"), filepath.Join(dir, "admin.token"), "--demo", "--debug-addr", debug)
	resp, err := http.Get("http://" + debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("debug listener: status %d, body %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get(srv.url + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the API listener serves the profiling endpoints")
	}
}

func TestStartDebugServer_RefusesNonLoopback(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:6060", "10.0.0.5:6060", "example.org:6060", "no-port"} {
		if err := startDebugServer(context.Background(), addr, logger); err == nil || !strings.Contains(err.Error(), "--debug-addr") {
			t.Errorf("%s: error %v, want a refusal naming --debug-addr", addr, err)
		}
	}
}
