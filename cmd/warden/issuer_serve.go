package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
	"github.com/warden-nhi/warden/store"
)

// envKEK holds the issuer's key-encryption key when --kek-file is not set.
const envKEK = "WARDEN_KEK"

// issuerMaintenanceInterval is how often serve checks whether a signing
// key is due for rotation and reloads keys other replicas rotated.
const issuerMaintenanceInterval = time.Minute

// issuerFlags configure the credential issuer of "warden serve".
type issuerFlags struct {
	trustDomain  string
	issuerURL    string
	kekFile      string
	jwtAlgorithm string
	upstreamCert string
	upstreamKey  string
	oidcIssuers  string
}

func addIssuerFlags(cmd *cobra.Command, f *issuerFlags) {
	fl := cmd.Flags()
	td := os.Getenv("WARDEN_TRUST_DOMAIN")
	if td == "" {
		td = "warden.local"
	}
	fl.StringVar(&f.trustDomain, "trust-domain", td, "SPIFFE trust domain of issued credentials, e.g. example.org (env WARDEN_TRUST_DOMAIN)")
	fl.StringVar(&f.issuerURL, "issuer-url", os.Getenv("WARDEN_ISSUER_URL"), "iss of issued tokens and base of the OIDC discovery document, as verifiers reach this server, e.g. https://warden.example.org (default: http:// or, with --tls-cert, https:// and the listen address; env WARDEN_ISSUER_URL)")
	fl.StringVar(&f.kekFile, "kek-file", "", "file (mode 0600) holding the key-encryption key that seals the issuer's private keys: 32 bytes as hex or base64 (default: env "+envKEK+"; required except with --demo)")
	fl.StringVar(&f.jwtAlgorithm, "jwt-algorithm", "ES256", "JWT signing algorithm: ES256, EdDSA or RS256")
	fl.StringVar(&f.upstreamCert, "upstream-ca-cert", "", "PEM certificate of an upstream CA that signs warden's CA (with --upstream-ca-key)")
	fl.StringVar(&f.upstreamKey, "upstream-ca-key", "", "PEM private key of the upstream CA (with --upstream-ca-cert)")
	fl.StringVar(&f.oidcIssuers, "oidc-issuers", os.Getenv("WARDEN_OIDC_ISSUERS"), "JSON file listing the external OIDC issuers whose tokens attest workloads (GitHub Actions, Kubernetes service accounts): "+
		`[{"issuer": URL, "audience": required aud, "jwks_url": optional, "algorithms": optional}] (env WARDEN_OIDC_ISSUERS)`)
}

// startIssuer loads the key-encryption key, opens the issuer on db and
// starts key rotation until ctx ends. Outside demo mode it refuses to
// start without a key-encryption key; in demo mode it makes an ephemeral
// one when none is configured and says so.
func startIssuer(ctx context.Context, db *store.DB, f issuerFlags, demoKEKFile, listenURL string, logger *slog.Logger) (*issuer.Issuer, error) {
	kek, err := issuer.LoadKEK(f.kekFile, envKEK)
	if err != nil {
		if demoKEKFile == "" || f.kekFile != "" || os.Getenv(envKEK) != "" {
			return nil, fmt.Errorf("issuer: %w", err)
		}
		if kek, err = demoKEK(demoKEKFile); err != nil {
			return nil, err
		}
		logger.Warn("demo: the issuer's private keys are sealed under a demo key-encryption key kept beside the database; "+
			"in production keep the key apart from the database with --kek-file or "+envKEK,
			"kek_file", demoKEKFile, "hint", "head -c 32 /dev/urandom | base64")
	}
	alg, err := issuer.ParseAlgorithm(f.jwtAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("--jwt-algorithm: %w", err)
	}
	var up *issuer.Upstream
	if (f.upstreamCert == "") != (f.upstreamKey == "") {
		return nil, errors.New("--upstream-ca-cert and --upstream-ca-key go together")
	}
	if f.upstreamCert != "" {
		if up, err = issuer.LoadUpstream(f.upstreamCert, f.upstreamKey); err != nil {
			return nil, fmt.Errorf("upstream CA: %w", err)
		}
	}
	var trusted []issuer.TrustedIssuer
	if f.oidcIssuers != "" {
		if trusted, err = issuer.LoadTrustedIssuers(f.oidcIssuers); err != nil {
			return nil, fmt.Errorf("--oidc-issuers: %w", err)
		}
	}
	url := f.issuerURL
	if url == "" {
		url = listenURL
	}
	sysCtx := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "issuer"})
	is, err := issuer.New(sysCtx, issuer.Config{TrustDomain: f.trustDomain, IssuerURL: url, Store: db, Identities: db, KEK: kek,
		JWTAlgorithm: alg, Upstream: up, TrustedIssuers: trusted, Logger: logger})
	if err != nil {
		return nil, err
	}
	go is.Maintain(sysCtx, issuerMaintenanceInterval)
	for _, t := range trusted {
		logger.Info("issuer trusts OIDC issuer", "oidc_issuer", t.Issuer, "audience", t.Audience, "jwks_url", t.JWKSURL)
	}
	logger.Info("issuer ready", "trust_domain", f.trustDomain, "issuer_url", url, "jwt_algorithm", string(alg), "upstream_ca", up != nil,
		"oidc_issuers", len(trusted))
	return is, nil
}

// demoKEK reads the demo key-encryption key from path, creating it (mode
// 0600) on the first demo start, so that a demo server restarted on the
// same database can still open the issuer keys it sealed.
func demoKEK(path string) (*issuer.KEK, error) {
	if _, err := os.Stat(path); err == nil {
		kek, err := issuer.LoadKEK(path, "")
		if err != nil {
			return nil, fmt.Errorf("demo key-encryption key: %w", err)
		}
		return kek, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("demo key-encryption key: %w", err)
	}
	key := make([]byte, issuer.KEKSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("demo key-encryption key: %w", err)
	}
	if err := writeSecretFile(path, hex.EncodeToString(key)+"\n"); err != nil {
		return nil, fmt.Errorf("write the demo key-encryption key: %w (set --kek-file)", err)
	}
	return issuer.ParseKEK(key)
}
