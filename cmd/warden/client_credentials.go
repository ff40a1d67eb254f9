package main

import (
	"errors"
	"io"
	"iter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

var credentialJSONHelp = jsonHelp(jsonFields(warden.Credential{}))

const secretStdinHelp = "read the secret from stdin and send only its SHA-256 fingerprint (the secret never leaves this machine)"

func newCredentialsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "credentials",
		Aliases: []string{"credential", "creds"},
		Short:   "List and record the credentials of identities",
		Long: `List and record the credentials (keys, tokens, certificates, ...) of identities.

warden never stores a secret: only the provider's public id (an AWS access key id, a
certificate serial) and the SHA-256 fingerprint of the secret. With --secret-stdin the CLI
computes the fingerprint locally, so the secret is never sent to the server.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newCredentialsListCmd(opts), newCredentialsAddCmd(opts), newCredentialsUpdateCmd(opts))
	return cmd
}

func newCredentialsListCmd(opts *clientOptions) *cobra.Command {
	var (
		f           warden.CredentialFilter
		provider    string
		secretStdin bool
	)
	cmd := &cobra.Command{
		Use:   "list [REF]",
		Short: "List credentials, of one identity or of all",
		Long: `List credentials, of the identity REF (id or external id) or of all identities, following
every page unless --limit is given. --secret-stdin finds the credential a leaked secret
belongs to without sending the secret.

The table shows ID, IDENTITY (when listing all), TYPE, PUBLIC ID, STATUS, ROTATED (age of the
secret), LAST USED and EXPIRES.

` + credentialJSONHelp,
		Example: `  warden credentials list arn:aws:iam::402118867530:user/jenkins-deployer
  warden credentials list --type access_key --status active --json
  printf '%s' "$LEAKED" | warden credentials list --secret-stdin`,
		Args: cobra.MaximumNArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&provider, "provider", "", "provider of REF's external id, when several share it")
	fl.StringVar((*string)(&f.Type), "type", "", "only this type (access_key, api_key, client_secret, password, certificate, ssh_key, token, private_key)")
	fl.StringVar((*string)(&f.Status), "status", "", "only this status (active, inactive, revoked, expired)")
	fl.StringVar(&f.PublicID, "public-id", "", "only the credential with this public id")
	fl.StringVar(&f.Fingerprint, "fingerprint", "", "only the credential with this hex SHA-256 fingerprint")
	fl.BoolVar(&secretStdin, "secret-stdin", false, secretStdinHelp)
	cmd.MarkFlagsMutuallyExclusive("fingerprint", "secret-stdin")
	list := addListFlags(cmd)

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var err error
		if f.Fingerprint, err = fingerprintFlag(cmd, f.Fingerprint, secretStdin); err != nil {
			return err
		}
		if f.Limit, err = list.page(); err != nil {
			return err
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		if len(args) == 1 {
			id, err := c.FindIdentityByRef(cmd.Context(), args[0], warden.Provider(provider))
			if err != nil {
				return explain(err)
			}
			f.IdentityID = id.ID
		}
		seq := c.Credentials(cmd.Context(), f)
		if opts.json {
			jl := newJSONLines(cmd.OutOrStdout())
			return each(seq, list.limit, func(c *warden.Credential) error { return jl.write(c) })
		}
		return printCredentials(cmd, seq, list.limit, len(args) == 0, cmd.ErrOrStderr())
	}
	return cmd
}

// printCredentials writes a credentials table; withIdentity adds the
// IDENTITY column for lists that span identities. An empty list is
// reported to emptyNote.
func printCredentials(cmd *cobra.Command, seq iter.Seq2[*warden.Credential, error], limit int, withIdentity bool, emptyNote io.Writer) error {
	now := time.Now()
	header := []string{"ID", "TYPE", "PUBLIC ID", "STATUS", "ROTATED", "LAST USED", "EXPIRES"}
	if withIdentity {
		header = append([]string{header[0], "IDENTITY"}, header[1:]...)
	}
	t := newTable(cmd.OutOrStdout(), header...)
	err := each(seq, limit, func(c *warden.Credential) error {
		rotated := c.LastRotatedAt
		if rotated == nil {
			rotated = &c.CreatedAt
		}
		row := []string{c.ID, string(c.Type), clip(orDash(c.PublicID), 40), string(c.Status), ago(now, rotated), ago(now, c.LastUsedAt), until(now, c.ExpiresAt)}
		if withIdentity {
			row = append([]string{row[0], c.IdentityID}, row[1:]...)
		}
		t.row(row...)
		return nil
	})
	if ferr := t.flush(emptyNote, "credentials"); err == nil {
		err = ferr
	}
	return err
}

func newCredentialsAddCmd(opts *clientOptions) *cobra.Command {
	var (
		cred        warden.Credential
		provider    string
		expires     string
		secretStdin bool
	)
	cmd := &cobra.Command{
		Use:   "add REF",
		Short: "Record a credential of an identity",
		Long: `Record a credential of the identity REF (id or external id). Give its public id, its
fingerprint, or both. --secret-stdin reads the secret from stdin (one trailing newline is
dropped), computes its SHA-256 here and sends only that hex fingerprint.

` + credentialJSONHelp,
		Example: `  warden credentials add arn:aws:iam::402118867530:user/backup-s3-writer --type access_key --public-id AKIA... --secret-stdin < key.txt
  warden credentials add my-app --type certificate --public-id 4f2a9c... --expires 2026-12-31`,
		Args: cobra.ExactArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&provider, "provider", "", "provider of REF's external id, when several share it")
	fl.StringVar((*string)(&cred.Type), "type", "", "credential type (access_key, api_key, client_secret, password, certificate, ssh_key, token, private_key)")
	fl.StringVar(&cred.PublicID, "public-id", "", "the provider's public id of the credential (access key id, serial, key name)")
	fl.StringVar(&cred.Fingerprint, "fingerprint", "", "hex SHA-256 of the secret")
	fl.BoolVar(&secretStdin, "secret-stdin", false, secretStdinHelp)
	fl.StringVar(&cred.Description, "description", "", "what the credential is used for")
	fl.StringVar(&expires, "expires", "", "expiry, YYYY-MM-DD or RFC 3339")
	_ = cmd.MarkFlagRequired("type")
	cmd.MarkFlagsMutuallyExclusive("fingerprint", "secret-stdin")

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var err error
		if cred.Fingerprint, err = fingerprintFlag(cmd, cred.Fingerprint, secretStdin); err != nil {
			return err
		}
		if cred.PublicID == "" && cred.Fingerprint == "" {
			return errors.New("give --public-id, --fingerprint or --secret-stdin (or a public id and one of the others)")
		}
		if expires != "" {
			t, err := parseDate("expires", expires)
			if err != nil {
				return err
			}
			cred.ExpiresAt = &t
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		id, err := c.FindIdentityByRef(cmd.Context(), args[0], warden.Provider(provider))
		if err != nil {
			return explain(err)
		}
		cred.IdentityID = id.ID
		if err := c.CreateCredential(cmd.Context(), &cred); err != nil {
			return explain(err)
		}
		return printCredentialResult(cmd, opts, &cred)
	}
	return cmd
}

func printCredentialResult(cmd *cobra.Command, opts *clientOptions, c *warden.Credential) error {
	if opts.json {
		return newJSONLines(cmd.OutOrStdout()).write(c)
	}
	now := time.Now()
	t := newTable(cmd.OutOrStdout())
	for _, kv := range [][2]string{
		{"ID:", c.ID},
		{"Identity:", c.IdentityID},
		{"Type:", string(c.Type)},
		{"Public ID:", orDash(c.PublicID)},
		{"Fingerprint:", orDash(c.Fingerprint)},
		{"Description:", orDash(c.Description)},
		{"Status:", string(c.Status)},
		{"Last rotated:", stamp(now, c.LastRotatedAt)},
		{"Last used:", ago(now, c.LastUsedAt)},
		{"Expires:", stamp(now, c.ExpiresAt)},
		{"Created:", stamp(now, &c.CreatedAt)},
	} {
		t.row(kv[0], kv[1])
	}
	return t.flush(nil, "")
}

func newCredentialsUpdateCmd(opts *clientOptions) *cobra.Command {
	var (
		status, description, fp, expires, rotated string
		secretStdin                               bool
	)
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change a credential's status, description, fingerprint or dates",
		Long: `Change a credential. Only the flags given are sent. A new fingerprint (--fingerprint or
--secret-stdin) records a rotation.

` + credentialJSONHelp,
		Example: `  warden credentials update 0193f2c1-... --status revoked --description "leaked in ticket OPS-1234"
  warden credentials update 0193f2c1-... --secret-stdin < new-key.txt`,
		Args: cobra.ExactArgs(1),
	}
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", "new status (active, inactive, revoked, expired)")
	fl.StringVar(&description, "description", "", "new description")
	fl.StringVar(&fp, "fingerprint", "", "hex SHA-256 of the new secret (records a rotation)")
	fl.BoolVar(&secretStdin, "secret-stdin", false, secretStdinHelp+"; records a rotation")
	fl.StringVar(&expires, "expires", "", "new expiry, YYYY-MM-DD or RFC 3339")
	fl.StringVar(&rotated, "rotated", "", "when the secret was last rotated, YYYY-MM-DD or RFC 3339")
	cmd.MarkFlagsMutuallyExclusive("fingerprint", "secret-stdin")

	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var upd warden.CredentialUpdate
		changed := cmd.Flags().Changed
		if changed("status") {
			s := warden.CredentialStatus(status)
			upd.Status = &s
		}
		if changed("description") {
			upd.Description = &description
		}
		if changed("fingerprint") || secretStdin {
			v, err := fingerprintFlag(cmd, fp, secretStdin)
			if err != nil {
				return err
			}
			upd.Fingerprint = &v
		}
		if changed("expires") {
			t, err := parseDate("expires", expires)
			if err != nil {
				return err
			}
			upd.ExpiresAt = &t
		}
		if changed("rotated") {
			t, err := parseDate("rotated", rotated)
			if err != nil {
				return err
			}
			upd.LastRotatedAt = &t
		}
		if upd.Empty() {
			return errors.New("nothing to change: pass at least one of --status, --description, --fingerprint, --secret-stdin, --expires, --rotated")
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		cred, err := c.UpdateCredential(cmd.Context(), args[0], upd)
		if err != nil {
			return explain(err)
		}
		return printCredentialResult(cmd, opts, cred)
	}
	return cmd
}
