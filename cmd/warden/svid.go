package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newSVIDCmd is the workload side of the issuer.
func newSVIDCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "svid",
		Short: "Obtain and renew SPIFFE credentials as a workload",
	}
	cmd.AddCommand(newSVIDFetchCmd())
	return cmd
}

func newSVIDFetchCmd() *cobra.Command {
	var (
		server, joinToken, joinTokenFile, oidcTokenFile, outDir string
		audiences                                               []string
		once                                                    bool
		timeout                                                 time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Attest, write an X.509-SVID (and a JWT-SVID) to files, and keep renewing them",
		Long: `Attest this workload to warden with a one-time join token or an OIDC token file (a GitHub
Actions or Kubernetes projected service-account token), obtain an X.509-SVID for a key made
here (only a CSR leaves the machine), and write, each with mode 0600 in --out-dir:

  svid.pem        the certificate chain, leaf first
  svid.key        its private key (PKCS#8 PEM)
  bundle.pem      the trust domain's CA certificates
  jwt_svid.token  a JWT-SVID, when --jwt-audience is given

Then, unless --once, keep renewing each credential when half its life has passed, until
stopped (SIGINT/SIGTERM): what a sidecar or init container runs. Renewals authenticate with a
client assertion signed by the current SVID's key, so a join token is used only once; with an
OIDC token file, the file is read again if the SVID ever lapses.`,
		Example: `  warden svid fetch --server https://warden.example.org --join-token-file /run/secrets/join \
      --out-dir /run/svid --jwt-audience sts.amazonaws.com
  warden svid fetch --oidc-token-file /var/run/secrets/tokens/warden --out-dir /run/svid --once`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if joinTokenFile != "" {
				b, err := os.ReadFile(joinTokenFile)
				if err != nil {
					return fmt.Errorf("--join-token-file: %w", err)
				}
				joinToken = strings.TrimSpace(string(b))
			}
			if (joinToken == "") == (oidcTokenFile == "") {
				return errors.New("attest with exactly one of --join-token, --join-token-file or --oidc-token-file")
			}
			if err := os.MkdirAll(outDir, 0o700); err != nil {
				return fmt.Errorf("--out-dir: %w", err)
			}
			f := &svidFetcher{server: server, http: &http.Client{Timeout: timeout}, outDir: outDir, audiences: audiences,
				joinToken: joinToken, oidcTokenFile: oidcTokenFile, log: cmd.ErrOrStderr(), now: time.Now, renewAt: halfLife}
			return f.run(cmd.Context(), once)
		},
	}
	srv := os.Getenv(envServer)
	if srv == "" {
		srv = defaultServer
	}
	fl := cmd.Flags()
	fl.StringVar(&server, "server", srv, "address of the warden server (env "+envServer+")")
	fl.StringVar(&joinToken, "join-token", "", "one-time join token (prefer --join-token-file: arguments are visible to other users)")
	fl.StringVar(&joinTokenFile, "join-token-file", "", "file holding the one-time join token")
	fl.StringVar(&oidcTokenFile, "oidc-token-file", "", "file holding a token of a trusted OIDC issuer, read again when needed")
	fl.StringVar(&outDir, "out-dir", ".", "directory for the credential files (created with mode 0700)")
	fl.StringArrayVar(&audiences, "jwt-audience", nil, "also keep a JWT-SVID for this audience (repeatable)")
	fl.BoolVar(&once, "once", false, "fetch once and exit instead of renewing")
	fl.DurationVar(&timeout, "timeout", 30*time.Second, "time limit for each request to the server")
	return cmd
}
