package loadgen

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRawDoer_AgainstNetHTTP: the raw client's requests are valid HTTP/1.1
// to a real net/http server, it reuses its connection, and it redials when
// the server closes one.
func TestRawDoer_AgainstNetHTTP(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer s" || string(body) != `{"a":1}` {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"decision":"allow"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		name      string
		path      string
		wantConns int64
	}{
		{"KeepAlive", "/", 2},
		{"ServerCloses", "/close", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns.Store(0)
			req := RawRequest("POST", host, tc.path, []byte(`{"a":1}`), "Authorization: Bearer s", "Content-Type: application/json")
			res, err := Run(context.Background(), 20, 2, http.StatusOK, RawDoer(host, 2, func(int) []byte { return req }))
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 20 || res.Rate <= 0 || res.P50 > res.P99 || res.P99 > res.Max {
				t.Fatalf("result %+v", res)
			}
			if got := conns.Load(); got != tc.wantConns {
				t.Errorf("%d connections, want %d", got, tc.wantConns)
			}
		})
	}
	t.Run("ErrStatus", func(t *testing.T) {
		req := RawRequest("POST", host, "/", []byte(`{}`))
		if _, err := Run(context.Background(), 5, 1, http.StatusOK, RawDoer(host, 1, func(int) []byte { return req })); err == nil || !strings.Contains(err.Error(), "status 400") {
			t.Fatalf("err %v, want status 400", err)
		}
	})
}

// answer feeds one canned answer to rawConn.do over a pipe.
func answer(t testing.TB, data []byte) (int, bool, error) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		br := bufio.NewReader(server)
		_, _ = br.ReadString('\n') // the request line is all the test sends
		_ = server.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = server.Write(data)
	}()
	c := &rawConn{conn: client, r: bufio.NewReaderSize(client, 16<<10)}
	_ = client.SetDeadline(time.Now().Add(2 * time.Second))
	return c.do([]byte("GET / HTTP/1.1\n"))
}

func TestRawConn_Answers(t *testing.T) {
	for _, tc := range []struct {
		file    string
		status  int
		keep    bool
		wantErr bool
	}{
		{"ok.http", 200, true, false},
		{"close.http", 403, false, false},
		{"chunked.http", 0, false, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/answers", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			status, keep, err := answer(t, data)
			if (err != nil) != tc.wantErr || status != tc.status || keep != tc.keep {
				t.Fatalf("do = %d, %v, %v; want %d, %v, error %v", status, keep, err, tc.status, tc.keep, tc.wantErr)
			}
		})
	}
}

// FuzzRawConn_Answer: any bytes from a server give a status or an error,
// never a panic or a hang.
func FuzzRawConn_Answer(f *testing.F) {
	files, _ := filepath.Glob("testdata/answers/*.http")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		status, _, err := answer(t, data)
		if err == nil && (status < 0 || status > 999) {
			t.Fatalf("status %d without an error", status)
		}
	})
}

func TestGenerate_Deterministic(t *testing.T) {
	a, b := Generate(200, 30, 7), Generate(200, 30, 7)
	if len(a.Bodies) != 4096 || string(a.Bodies[17]) != string(b.Bodies[17]) || a.Version.Policies["bench.cedar"] != b.Version.Policies["bench.cedar"] {
		t.Fatal("the same seed gave different fixtures")
	}
	if n := strings.Count(a.Version.Policies["bench.cedar"], ";\n"); n != 30 {
		t.Fatalf("%d policies, want 30", n)
	}
}

// TestRunPaced_KeepsTheRate: an open-loop run of 50 requests at 500/s
// takes about 100 ms even with a fast server and many workers.
func TestRunPaced_KeepsTheRate(t *testing.T) {
	var calls atomic.Int64
	do := func(_, _ int) (int, error) { calls.Add(1); return http.StatusOK, nil }
	res, err := RunPaced(context.Background(), 50, 8, http.StatusOK, 500, do)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 50 || res.Elapsed < 95*time.Millisecond || res.Rate > 530 {
		t.Fatalf("%d calls in %v (%.0f/s), want 50 in about 100ms", calls.Load(), res.Elapsed, res.Rate)
	}
	if _, err := RunPaced(context.Background(), 1, 1, http.StatusOK, 0, do); err == nil {
		t.Fatal("rate 0 accepted")
	}
}
