package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// floorResponse is as long as a typical warden decision response, so that
// the floor writes as many bytes as the server it is compared with.
const floorResponse = `{"id":"00000000-0000-7000-8000-000000000000","decision":"allow","policies":["bench.cedar#102"],"errors":[],"policy_version":1,"principal":{"type":"Identity","id":"00000000-0000-7000-8000-000000000000"},"identity_id":"00000000-0000-7000-8000-000000000000"}`

// floorHandler answers GET /healthz and POST /v1/authorize like warden does
// on the wire (status, JSON content type, a response of the same size) but
// decides nothing: it reads the request body and writes a constant.
// Driving it with the same load as warden shows what net/http, the
// kernel's loopback and the load generator cost on this machine, the floor
// under any decision's latency.
func floorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("POST /v1/authorize", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, floorResponse)
	})
	return mux
}

// floor serves floorHandler on -addr until ctx ends.
func floor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18474", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	srv := &http.Server{Handler: floorHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf("floor server on http://%s (no decisions: the HTTP and loopback floor)\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}
