package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/console"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
)

// serveConfig is everything "warden serve" is configured with.
type serveConfig struct {
	dsn       string
	addr      string
	demo      bool
	tokenFile string
	logLevel  string
	logFormat string
	// secureCookies marks console cookies Secure behind a TLS proxy.
	secureCookies bool
	// tlsCert and tlsKey make serve speak HTTPS itself.
	tlsCert, tlsKey string
	// debugAddr serves the Go profiling endpoints on a loopback address.
	debugAddr string
	pdp       pdpFlags
	issuer    issuerFlags
	govern    governFlags
	retention retentionFlags
	monitor   monitorFlags
	access    accessFlags
	enforce   enforceFlags
	review    reviewFlags
	onboard   onboardFlags
	offboard  offboardFlags
}

func newServeCmd() *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the warden server",
		Long: `Run the warden server: the web console at /ui/, the REST API under /v1,
/healthz, /readyz and Prometheus metrics at /metrics.

On first start with an empty database warden creates an admin API token and
writes it to a file readable only by you (--token-file; by default next to
the SQLite database). With --demo it also loads a fictional organisation's
~200 machine identities into an empty inventory, to explore at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	addDBFlag(cmd, &cfg.dsn)
	addr := os.Getenv("WARDEN_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	f := cmd.Flags()
	f.StringVar(&cfg.addr, "addr", addr, "address to listen on, host:port (env WARDEN_ADDR)")
	f.BoolVar(&cfg.demo, "demo", false, "load the demo dataset into an empty inventory")
	f.StringVar(&cfg.tokenFile, "token-file", "", "where to write the first admin token (default: warden-admin.token next to the SQLite database, or in the working directory for PostgreSQL)")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&cfg.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&cfg.tlsCert, "tls-cert", os.Getenv("WARDEN_TLS_CERT"), "serve HTTPS with this PEM certificate chain (re-read when the file changes; env WARDEN_TLS_CERT); workloads may then renew SVIDs over mTLS")
	f.StringVar(&cfg.tlsKey, "tls-key", os.Getenv("WARDEN_TLS_KEY"), "the PEM private key of --tls-cert (env WARDEN_TLS_KEY)")
	f.StringVar(&cfg.debugAddr, "debug-addr", "", "serve Go's profiling endpoints (/debug/pprof/) on this loopback host:port, apart from the API; off when empty")
	f.BoolVar(&cfg.secureCookies, "secure-cookies", false, "mark the web console's cookies Secure: set it when a TLS-terminating proxy fronts warden")
	addPDPFlags(cmd, &cfg.pdp)
	addIssuerFlags(cmd, &cfg.issuer)
	addGovernFlags(cmd, &cfg.govern)
	addRetentionFlags(cmd, &cfg.retention)
	addMonitorFlags(cmd, &cfg.monitor)
	addAccessFlags(cmd, &cfg.access)
	addEnforceFlags(cmd, &cfg.enforce)
	addReviewFlags(cmd, &cfg.review)
	addOnboardFlags(cmd, &cfg.onboard)
	addOffboardFlags(cmd, &cfg.offboard)
	return cmd
}

func newLogger(w interface{ Write([]byte) (int, error) }, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func runServe(ctx context.Context, cfg serveConfig, logw interface{ Write([]byte) (int, error) }) error {
	logger, err := newLogger(logw, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	var cert *servingCert
	if cfg.tlsCert != "" || cfg.tlsKey != "" {
		if cert, err = loadServingCert(cfg.tlsCert, cfg.tlsKey); err != nil {
			return err
		}
	}
	scheme := "http"
	if cert != nil {
		scheme = "https"
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running? choose another --addr)", cfg.addr, err)
	}
	defer ln.Close()

	db, err := openStore(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database ready", "dialect", db.Dialect(), "db", describeDSN(cfg.dsn))

	sysCtx := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "serve"})
	if err := bootstrapToken(sysCtx, db, cfg, logger); err != nil {
		return err
	}
	demoLoaded := false
	if cfg.demo {
		if demoLoaded, err = loadDemo(ctx, db, logger); err != nil {
			return err
		}
	}
	gov, err := newGovernance(db, cfg.govern.rulesFile)
	if err != nil {
		return err
	}
	if cfg.demo {
		// A newcomer sees findings, risk scores and a posture at once.
		if err := evaluateOnce(ctx, gov, logger); err != nil {
			return err
		}
	}
	if demoLoaded {
		// The console's trend charts show the demo's made-up past weeks.
		if err := demo.RecordPostureHistory(ctx, db); err != nil {
			return err
		}
	}
	demoKEKFile := ""
	if cfg.demo {
		demoKEKFile = filepath.Join(defaultSecretDir(cfg.dsn), "warden-demo.kek")
	}
	iss, err := startIssuer(ctx, db, cfg.issuer, demoKEKFile, scheme+"://"+ln.Addr().String(), logger)
	if err != nil {
		return err
	}

	// The policy decision point follows changes until shutdown, then
	// flushes its decision log before the database closes.
	pdpCtx, stopPDPCtx := context.WithCancel(ctx)
	policyCfg, stopPDP, err := startPDP(pdpCtx, db, cfg.pdp, pdpDeps{verifier: iss, revocations: iss}, logger)
	if err != nil {
		stopPDPCtx()
		return err
	}
	defer func() { stopPDPCtx(); stopPDP() }()

	// Behavioural monitoring runs until the server has stopped taking
	// requests, then releases held events and delivers queued alerts.
	mon, err := startMonitor(ctx, db, cfg.monitor, logger)
	if err != nil {
		return err
	}
	defer mon.stop()

	accessSvc, err := startAccess(pdpCtx, db, cfg.access, iss, iss.IssuerURL(), logger)
	if err != nil {
		return err
	}
	if demoLoaded {
		// A newcomer's console and warden access list show a granted read,
		// a prod write waiting for its second approver and a break-glass
		// grant waiting for review.
		if err := demo.LoadAccess(ctx, accessSvc); err != nil {
			return err
		}
	}

	// Automatic governance actions run in the mode set per control; the
	// inactivity control runs here, the review and offboarding sweeps
	// disable through the same service.
	enforcer, err := startEnforce(pdpCtx, db, cfg.enforce, iss.IssuerURL(), logger)
	if err != nil {
		return err
	}
	// Review campaigns disable expired reviews through it, in the mode
	// control disable-review-expired has.
	reviewSvc, err := startReviews(pdpCtx, db, cfg.review, enforcer, iss.IssuerURL(), logger)
	if err != nil {
		return err
	}
	// Offboardings past their deadline are settled through it:
	// disable-offboarded runs in monitor mode unless set to enforce.
	offboardSvc, err := startOffboarding(pdpCtx, db, cfg.offboard, enforcer, logger)
	if err != nil {
		return err
	}

	onboardSvc, err := startOnboard(db, cfg.onboard, iss.TrustDomain(), iss.IssuerURL(), logger)
	if err != nil {
		return err
	}
	if demoLoaded {
		// Each governance workflow with something in it: onboarding
		// requests (granted and waiting), a claim, a review campaign and
		// an offboarding.
		if err := demo.LoadWorkflows(ctx, demo.Workflows{Onboarding: onboardSvc, Reviews: reviewSvc, Offboarding: offboardSvc}); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(mon.metrics...)
	// API tokens are authenticated from memory (a proxy asks for a
	// decision per request). A revocation through this server or another
	// replica ends that at once through the change feed startPDP listens
	// to; the 1 s lifetime bounds what the feed cannot see (warden admin
	// token revoke writing to a SQLite file from another process).
	cachedTokens := httpapi.NewCachedTokens(pdpCtx, db, db, time.Second)
	ownerSvc := newOwnerService(db)
	if demoLoaded {
		// Two unowned demo identities come with who created them, and
		// pending owner suggestions naming those people.
		if err := demo.LoadOwnership(ctx, db, ownerSvc, time.Now()); err != nil {
			return err
		}
	}
	api := httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: cachedTokens, Audit: db,
		Leaks:     scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db}),
		Ready:     db.Ping,
		Logger:    logger,
		Registry:  reg,
		Discovery: newDiscovery(db),
		Policy:    policyCfg,
		Issuer:    iss, IssuerStore: db,
		Findings: db, Posture: db, Governance: gov,
		Monitor: mon.api,
		Access:  accessSvc, Verifier: iss,
		Rightsize:   newRightsizeService(db),
		Enforcement: db, Programme: db,
		Reviews:     reviewSvc,
		Onboarding:  onboardSvc,
		Offboarding: offboardSvc,
		Owners:      ownerSvc,
	})
	ui := console.New(console.Config{
		Identities: db, Inventory: db, Credentials: db, Grants: db, Sessions: db,
		Findings: db, Posture: db, Events: db, Detections: db, Decisions: db,
		Policies: db, Audit: db, Issued: db, Access: accessSvc, Owners: ownerSvc,
		SecureCookies: cfg.secureCookies,
		Logger:        logger,
	})
	srv := &http.Server{
		Handler:           withConsole(api, ui),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.debugAddr != "" {
		if err := startDebugServer(ctx, cfg.debugAddr, logger); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	if cert != nil {
		srv.TLSConfig = cert.tlsConfig()
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	go governLoop(ctx, gov, cfg.govern.interval, logger)
	go retentionLoop(sysCtx, db, cfg.retention, time.Now, logger)
	base := scheme + "://" + ln.Addr().String()
	logger.Info("warden listening", "addr", ln.Addr().String(), "url", base, "console", base+console.Prefix)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// withConsole serves the web console under /ui/ beside the API, and sends
// a browser that opens the server's root to it.
func withConsole(api, ui http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, ui)
	mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
	mux.Handle("/", api)
	return mux
}

// defaultSecretDir is where serve keeps the files it creates for a
// newcomer (the first admin token, the demo key-encryption key): beside the
// SQLite database, or the working directory for PostgreSQL.
func defaultSecretDir(dsn string) string {
	if store.IsPostgres(dsn) {
		return "."
	}
	return filepath.Dir(dsn)
}

// bootstrapToken creates the first admin token of an empty database and
// writes it to a file only the current user can read.
func bootstrapToken(ctx context.Context, db *store.DB, cfg serveConfig, logger *slog.Logger) error {
	secret, created, err := db.BootstrapAdminToken(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap admin token: %w", err)
	}
	if !created {
		return nil
	}
	path := cfg.tokenFile
	if path == "" {
		path = filepath.Join(defaultSecretDir(cfg.dsn), "warden-admin.token")
	}
	if err := writeSecretFile(path, secret+"\n"); err != nil {
		return fmt.Errorf("write the first admin token: %w (set --token-file to a writable path)", err)
	}
	logger.Info("created the first admin API token; it is shown nowhere else",
		"token_file", path, "hint", "export WARDEN_TOKEN=$(cat "+path+")")
	return nil
}

// writeSecretFile writes data to path with mode 0600, replacing any file.
func writeSecretFile(path, data string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadDemo fills an empty inventory with the demo organisation and
// reports whether it did.
func loadDemo(ctx context.Context, db *store.DB, logger *slog.Logger) (bool, error) {
	existing, _, err := db.FindIdentities(ctx, warden.IdentityFilter{Limit: 1})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if len(existing) > 0 {
		logger.Info("demo dataset not loaded: the inventory already has identities")
		return false, nil
	}
	demoCtx := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "demo"})
	n, err := demo.Load(demoCtx, db, db, time.Now())
	if err != nil {
		return false, fmt.Errorf("load demo dataset: %w", err)
	}
	logger.Info("loaded the demo dataset", "identities", n, "try", "warden identities list --unowned")
	return true, nil
}
