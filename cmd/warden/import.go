package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import SOURCE PATH...",
		Short: "Import exports and logs into the inventory through the server",
		Long: `Upload exports and logs to the server (POST /v1/imports/SOURCE), which parses them
as a stream and stores identities, credentials, grants and activity events. Needs the
inventory:write permission.

SOURCE is one of: ` + strings.Join(importSources, ", ") + `.

PATH is a file (plain or gzip), a directory (every regular file in it, recursively, in
name order), or - for standard input. For x509, PATH may also be HOST:PORT: warden connects
with TLS from this machine and imports the certificates the endpoint presents; private-key
blocks in x509 files are removed before upload, and files of keys only are skipped.

Re-importing the same file changes nothing. A malformed file stops with an error naming the
file and the record; inventory files are all-or-nothing, logs are stored in batches and a bad
record loses only its own batch. Files larger than 1 MiB show upload progress on stderr.

The table shows, per file, RECORDS read and what changed as created/updated/unchanged.
With --json each file's report is one JSON line: source, ref, records, skipped, identities,
credentials, grants, events ({created, updated, unchanged}) and warnings.`,
		Example: `  warden import aws-iam gaad.json
  warden import aws-credential-report credential-report.csv
  warden import cloudtrail s3-export/AWSLogs/
  aws iam get-account-authorization-details | warden import aws-iam -
  kubectl get serviceaccounts,roles,clusterroles,rolebindings,clusterrolebindings -A -o json | warden import k8s -
  warden import k8s-audit /var/log/kubernetes/audit/audit.log
  gh api --paginate 'orgs/ORG/audit-log?include=all&per_page=100' | warden import github-audit -
  warden import x509 certs/ api.example.com:443`,
		Args: cobra.MinimumNArgs(2),
	}
	opts := addClientFlags(cmd, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		source, paths := args[0], args[1:]
		if !slices.Contains(importSources, source) {
			return fmt.Errorf("unknown source %q: use one of %s", source, strings.Join(importSources, ", "))
		}
		if !cmd.Flags().Changed("timeout") {
			opts.timeout = 0 // an upload takes as long as it takes; Ctrl-C stops it
		}
		c, err := opts.newClient(cmd)
		if err != nil {
			return err
		}
		inputs, err := collectInputs(source, paths, cmd.InOrStdin())
		if err != nil {
			return err
		}
		var jl *jsonLines
		var t *table
		if opts.json {
			jl = newJSONLines(cmd.OutOrStdout())
		} else {
			t = newTable(cmd.OutOrStdout(), "FILE", "RECORDS", "IDENTITIES", "CREDENTIALS", "GRANTS", "EVENTS", "WARNINGS")
		}
		for _, in := range inputs {
			rep, err := uploadInput(cmd.Context(), c, source, in, cmd.ErrOrStderr())
			if errors.Is(err, errOnlyPrivateKeys) {
				fmt.Fprintf(cmd.ErrOrStderr(), "skipped %s: it holds only private keys, which are never uploaded\n", in.name)
				continue
			}
			if errors.Is(err, errNotPEM) && in.fromDir {
				fmt.Fprintf(cmd.ErrOrStderr(), "skipped %s: no PEM block in it\n", in.name)
				continue
			}
			if err != nil {
				if t != nil {
					_ = t.flush(cmd.ErrOrStderr(), "")
				}
				return explain(err)
			}
			for _, w := range rep.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", rep.Ref, w)
			}
			if jl != nil {
				if err := jl.write(rep); err != nil {
					return err
				}
				continue
			}
			t.row(rep.Ref, fmt.Sprint(rep.Records), counts(rep.Identities), counts(rep.Credentials), counts(rep.Grants), counts(rep.Events), fmt.Sprint(len(rep.Warnings)))
		}
		if t != nil {
			return t.flush(cmd.ErrOrStderr(), "")
		}
		return nil
	}
	return cmd
}

// counts renders created/updated/unchanged.
func counts(r warden.ImportResult) string {
	return fmt.Sprintf("%d/%d/%d", r.Created, r.Updated, r.Unchanged)
}

// input is one upload: a name and how to open it.
type input struct {
	name string
	size int64 // -1 when unknown
	open func() (io.ReadCloser, error)
	// fromDir is set for files found by walking a directory argument.
	fromDir bool
}

// collectInputs expands the PATH arguments into uploads.
func collectInputs(source string, paths []string, stdin io.Reader) ([]input, error) {
	var out []input
	for _, p := range paths {
		if p == "-" {
			out = append(out, input{name: "stdin", size: -1, open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			if source == "x509" && errors.Is(err, fs.ErrNotExist) && looksLikeHostPort(p) {
				addr := p
				out = append(out, input{name: "tls://" + addr, size: -1, open: func() (io.ReadCloser, error) { return fetchTLSChain(addr) }})
				continue
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !st.IsDir() {
			out = append(out, fileInput(source, p, st.Size()))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if err != nil {
					return err
				}
				in := fileInput(source, path, info.Size())
				in.fromDir = true
				out = append(out, in)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %w", p, err)
		}
	}
	return out, nil
}

// fileInput uploads a file; for x509, without its private-key blocks.
func fileInput(source, path string, size int64) input {
	if source == "x509" {
		return input{name: path, size: size, open: func() (io.ReadCloser, error) { return openPEMWithoutKeys(path) }}
	}
	return input{name: path, size: size, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

func looksLikeHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	return err == nil && host != "" && port != ""
}

// fetchTLSChain connects to addr and returns the certificates it presents
// as PEM. The chain is not verified: the point is to inventory it.
func fetchTLSChain(addr string) (io.ReadCloser, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // inventory, not trust
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer conn.Close()
	var b strings.Builder
	for _, cert := range conn.ConnectionState().PeerCertificates {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	}
	return io.NopCloser(strings.NewReader(b.String())), nil
}

// progressThreshold is the size above which uploads show progress.
const progressThreshold = 1 << 20

// uploadInput sends one input, showing progress for large files.
func uploadInput(ctx context.Context, c *client.Client, source string, in input, stderr io.Writer) (*warden.ImportReport, error) {
	rc, err := in.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var body io.Reader = rc
	if in.size > progressThreshold {
		pr := &progressReader{r: rc}
		body = pr
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					n := pr.n.Load()
					fmt.Fprintf(stderr, "\rimporting %s: %.1f of %.1f MiB (%d%%)", in.name, float64(n)/(1<<20), float64(in.size)/(1<<20), n*100/in.size)
				}
			}
		}()
		defer fmt.Fprintf(stderr, "\rimporting %s: done%s\n", in.name, strings.Repeat(" ", 30))
	}
	return c.Import(ctx, source, in.name, body)
}

// progressReader counts the bytes read through it.
type progressReader struct {
	r io.Reader
	n atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}
