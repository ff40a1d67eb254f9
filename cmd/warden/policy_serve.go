package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/envoy"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
)

// pdpFlags configure the policy decision point of warden serve.
type pdpFlags struct {
	envoyAddr    string
	sampleAllows float64
	logFlush     time.Duration
	httpActions  string
	audience     string
}

func addPDPFlags(cmd *cobra.Command, f *pdpFlags) {
	fs := cmd.Flags()
	fs.StringVar(&f.envoyAddr, "envoy-addr", "", "serve Envoy ext_authz (gRPC, envoy.service.auth.v3) on this host:port; off when empty")
	fs.Float64Var(&f.sampleAllows, "log-allows", 0.01, "fraction of allow decisions written to the decision log (every deny is)")
	fs.DurationVar(&f.logFlush, "log-flush", policy.DefaultLogFlushInterval, "longest a logged decision waits before its batch is written to the decision log")
	fs.StringVar(&f.httpActions, "http-actions", "", "JSON file mapping proxied HTTP methods and paths to actions (see examples/http-actions.json)")
	fs.StringVar(&f.audience, "pdp-audience", "", "audience warden tokens presented to the decision point must carry")
}

// pdpDeps are the issuer's services the decision point consumes when the
// issuer is wired; nil fields switch token principals off.
type pdpDeps struct {
	verifier    warden.TokenVerifier
	revocations warden.RevocationChecker
}

// startPDP starts the policy engine on db (following changes of every
// replica), and the Envoy ext_authz server when configured. stop ends the
// gRPC server and flushes the decision log; call it after ctx ends.
func startPDP(ctx context.Context, db *store.DB, f pdpFlags, deps pdpDeps, logger *slog.Logger) (httpapi.PolicyConfig, func(), error) {
	if f.sampleAllows < 0 || f.sampleAllows > 1 {
		return httpapi.PolicyConfig{}, nil, fmt.Errorf("--log-allows %v: use a fraction between 0 and 1", f.sampleAllows)
	}
	if f.logFlush != 0 && (f.logFlush < time.Millisecond || f.logFlush > time.Minute) { // 0: the default
		return httpapi.PolicyConfig{}, nil, fmt.Errorf("--log-flush %v: use a duration between 1ms and 1m", f.logFlush)
	}
	var mapping *policy.HTTPMapping
	if f.httpActions != "" {
		data, err := os.ReadFile(f.httpActions)
		if err != nil {
			return httpapi.PolicyConfig{}, nil, fmt.Errorf("--http-actions: %w", err)
		}
		if mapping, err = policy.ParseHTTPMapping(data); err != nil {
			return httpapi.PolicyConfig{}, nil, fmt.Errorf("--http-actions %s: %w", f.httpActions, err)
		}
	}
	if err := db.StartChangeListener(ctx, logger); err != nil {
		return httpapi.PolicyConfig{}, nil, fmt.Errorf("start change listener: %w", err)
	}
	cfg := policy.Config{
		Identities: db, Credentials: db, Policies: db, Entities: db, Log: db, Changes: db, Grants: db, Enforcement: db,
		Findings: policy.GovernanceFindings{Findings: db}, // open_findings
		Verifier: deps.verifier, Revocations: deps.revocations, Audience: f.audience,
		SampleAllows: f.sampleAllows, LogFlushInterval: f.logFlush, Logger: logger,
	}
	if events, ok := any(db).(warden.EventService); ok {
		cfg.Events = events // decisions become activity for monitoring
	}
	engine := policy.New(cfg)
	if err := engine.Start(ctx); err != nil {
		return httpapi.PolicyConfig{}, nil, err
	}
	var g *grpc.Server
	if f.envoyAddr != "" {
		ln, err := net.Listen("tcp", f.envoyAddr)
		if err != nil {
			return httpapi.PolicyConfig{}, nil, fmt.Errorf("--envoy-addr %s: %w", f.envoyAddr, err)
		}
		g = grpc.NewServer()
		envoy.New(engine, mapping, logger).Register(g)
		go func() {
			if err := g.Serve(ln); err != nil {
				logger.Error("envoy ext_authz server stopped", "error", err)
			}
		}()
		logger.Info("envoy ext_authz listening", "addr", ln.Addr().String())
	}
	stop := func() {
		if g != nil {
			g.GracefulStop()
		}
		engine.Close()
	}
	return httpapi.PolicyConfig{Engine: engine, Store: db, Entities: db, Decisions: db, HTTP: mapping}, stop, nil
}
