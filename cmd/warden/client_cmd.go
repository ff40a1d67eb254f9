package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

// Defaults of the client flags.
const (
	defaultServer = "http://127.0.0.1:8080"
	envServer     = "WARDEN_SERVER"
	envToken      = "WARDEN_TOKEN"
)

// addClientCommands adds the commands that talk to a warden server over its
// HTTP API: identities, credentials, tokens, whoami and audit list.
func addClientCommands(root *cobra.Command) {
	root.AddCommand(
		newIdentitiesCmd(),
		newCredentialsCmd(),
		newTokensCmd(),
		newWhoamiCmd(),
	)
	var audit *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "audit" {
			audit = c
			break
		}
	}
	if audit == nil {
		audit = &cobra.Command{Use: "audit", Short: "Read and verify the audit log"}
		root.AddCommand(audit)
	}
	audit.AddCommand(newAuditListCmd())
}

// clientOptions are the flags of every command that talks to a server.
type clientOptions struct {
	server    string
	tokenFile string
	timeout   time.Duration
	json      bool
}

// addClientFlags registers the client flags on cmd, as persistent flags so
// that a command group's sub-commands share them.
func addClientFlags(cmd *cobra.Command, persistent bool) *clientOptions {
	o := &clientOptions{}
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	server := os.Getenv(envServer)
	if server == "" {
		server = defaultServer
	}
	fs.StringVar(&o.server, "server", server, "address of the warden server (env "+envServer+")")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the API token from this file instead of env "+envToken)
	fs.DurationVar(&o.timeout, "timeout", client.DefaultTimeout, "time limit for each request to the server")
	fs.BoolVar(&o.json, "json", false, "print JSON Lines (one JSON object per line) instead of a table")
	return o
}

// newClient builds an API client from the flags and the environment.
func (o *clientOptions) newClient(cmd *cobra.Command) (*client.Client, error) {
	token, err := o.token()
	if err != nil {
		return nil, err
	}
	c, err := client.New(o.server, token, client.WithTimeout(o.timeout), client.WithUserAgent("warden-cli"))
	if err != nil {
		return nil, fmt.Errorf("%w: set --server or %s", err, envServer)
	}
	if u, _ := url.Parse(c.BaseURL()); u != nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: sending the API token to %s over plain HTTP; use https:// outside this machine\n", u.Host)
	}
	return c, nil
}

// token returns the API token from --token-file or WARDEN_TOKEN.
func (o *clientOptions) token() (string, error) {
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", fmt.Errorf("read token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("token file %s is empty", o.tokenFile)
		}
		return tok, nil
	}
	if tok := strings.TrimSpace(os.Getenv(envToken)); tok != "" {
		return tok, nil
	}
	return "", errors.New("no API token: set " + envToken + " or pass --token-file (an admin creates one with `warden admin token create --db PATH`)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// explain rewrites an API error into a message that says what to do next.
// Errors from the server keep their code in the chain for callers.
func explain(err error) error {
	if err == nil {
		return nil
	}
	var unreachable *client.UnreachableError
	if errors.As(err, &unreachable) {
		return err
	}
	var werr *warden.Error
	if !errors.As(err, &werr) {
		return err
	}
	msg := werr.Message
	switch werr.Code {
	case warden.EUNAUTHORIZED:
		msg = fmt.Sprintf("the token was rejected (%s): set %s to a valid token (warden admin token create --db …)", msg, envToken)
	case warden.EFORBIDDEN:
		msg = fmt.Sprintf("not allowed (%s): use a token whose role grants it; `warden whoami` shows the current role", msg)
	case warden.ENOTFOUND:
		msg = fmt.Sprintf("not found: %s", msg)
	case warden.ECONFLICT:
		if strings.Contains(msg, "several providers") {
			msg += " with --provider"
		}
		msg = "conflict: " + msg
	case warden.EINVALID:
		if werr.Field != "" {
			msg = fmt.Sprintf("invalid %s: %s", werr.Field, msg)
		} else {
			msg = "invalid request: " + msg
		}
	case warden.EINTERNAL:
		msg = fmt.Sprintf("the server failed (%s); its log has the details", msg)
	}
	return &cliError{msg: msg, err: err}
}

// cliError is an error with a message for people that still unwraps to
// the original error.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }
