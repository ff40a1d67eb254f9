package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/warden-nhi/warden/policy"
)

// discardWriter is a ResponseWriter that keeps only the status, so that
// the in-process benchmarks measure the handler and not a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkAuthorizeHTTP_Handler runs POST /v1/authorize through the
// server's handler in-process (middleware, authentication, decoding,
// decision, encoding; no sockets) on the load benchmark's fixture, with
// two same-run baselines: GET /healthz through the same handler, and the
// engine's Decide on the already-decoded request. Read the ratios off
// handler/decide and handler/healthz.
//
//	go test ./httpapi -run '^$' -bench AuthorizeHTTP_Handler -benchtime 20000x
func BenchmarkAuthorizeHTTP_Handler(b *testing.B) {
	f := newAuthorizeFixture(b)
	ctx := context.Background()
	authz := "Bearer " + f.secret
	authorizeURL, _ := url.Parse("http://warden/v1/authorize")
	healthzURL, _ := url.Parse("http://warden/healthz")
	serve := func(b *testing.B, method string, u *url.URL, body func(i int) []byte) {
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := &discardWriter{h: http.Header{}}
			for pb.Next() {
				i := int(next.Add(1))
				r := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{}, Host: "warden", RemoteAddr: "127.0.0.1:1234", RequestURI: u.Path}
				if body != nil {
					data := body(i)
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), int64(len(data))
					r.Header["Content-Type"] = []string{"application/json"}
					r.Header["Authorization"] = []string{authz}
				} else {
					r.Body = http.NoBody
				}
				r = r.WithContext(ctx)
				clear(w.h)
				w.code = 0
				f.handler.ServeHTTP(w, r)
				if w.code != http.StatusOK {
					b.Fatalf("%s %s: status %d", method, u.Path, w.code)
				}
			}
		})
	}
	b.Run("handler", func(b *testing.B) {
		serve(b, "POST", authorizeURL, func(i int) []byte { return f.bodies[i%len(f.bodies)] })
	})
	b.Run("healthz", func(b *testing.B) {
		serve(b, "GET", healthzURL, nil)
	})
	b.Run("decide", func(b *testing.B) {
		reqs := make([]*policy.Request, len(f.bodies))
		for i, body := range f.bodies {
			reqs[i] = decodeBenchRequest(b, body)
			reqs[i].Action.Type = "Action" // Decide would set it
		}
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1))
				if _, err := f.engine.Decide(ctx, reqs[i%len(reqs)], "inproc"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
