package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
	"github.com/warden-nhi/warden/scan"
)

// Exit codes of warden scan.
const (
	scanExitFindings = 1 // new findings (not in the baseline)
	scanExitError    = 2 // the scan could not run
)

// scanOptions are the flags of warden scan.
type scanOptions struct {
	git         bool
	staged      bool
	format      string
	baseline    string
	server      string
	tokenFile   string
	source      string
	timeout     time.Duration
	maxFileSize int64
	workers     int
}

func newScanCmd() *cobra.Command {
	var o scanOptions
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Find hard-coded credentials in files, git history or the staged diff",
		Long: `Find hard-coded machine credentials — cloud keys (AWS, GCP, Azure), GitHub, GitLab,
Slack, Stripe and other tokens, private keys (PEM, OpenSSH, PuTTY), JWTs, database URLs with
passwords, warden API tokens and high-entropy values assigned to secret-sounding names — in
files and directories (PATH, default "."; "-" reads standard input), in every commit of a git
repository (--git) or in what is staged for the next commit (--staged, for a pre-commit hook).

Binary files and files over --max-file-size are skipped and reported on stderr. Output never
contains a secret: each finding has a redacted preview and the SHA-256 fingerprint of the
secret. A baseline (the --format json output of an earlier scan) accepts known findings.

Offline by default. With --server, the fingerprints and locations (never the secrets) are sent
to warden, which ties each leak to the identity it belongs to (an AWS key id to its IAM user, a
token to its recorded credential, a private key to its certificate), shows the blast radius
(owner, permissions, last use) and opens an NHI2 finding.

Exit status: 0 when there is no new finding, 1 when there are new findings, 2 on error.`,
		Example: `  warden scan .
  warden scan --git --format sarif . > warden.sarif
  warden scan --staged                                 # in .git/hooks/pre-commit
  warden scan --format json . > .warden-baseline.jsonl && warden scan --baseline .warden-baseline.jsonl .
  kubectl logs job/deploy | warden scan -
  warden scan --git --server https://warden.example.com --source nw/billing .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			return runScan(cmd, args, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.git, "git", false, "scan every commit reachable from any ref of the git repository at each PATH")
	f.BoolVar(&o.staged, "staged", false, "scan the staged diff of the git repository at PATH (pre-commit mode)")
	f.StringVar(&o.format, "format", "table", "output format: table, json (JSON Lines) or sarif (SARIF 2.1.0)")
	f.StringVar(&o.baseline, "baseline", "", "accept the findings listed in this file (the --format json output of an earlier scan)")
	f.StringVar(&o.server, "server", "", "send fingerprints and locations to this warden server for correlation (off by default)")
	f.StringVar(&o.tokenFile, "token-file", "", "with --server: read the API token from this file instead of env "+envToken)
	f.StringVar(&o.source, "source", "", "with --server: name of what is scanned (repository, host); default: the directory name")
	f.DurationVar(&o.timeout, "timeout", client.DefaultTimeout, "with --server: time limit for the upload")
	f.Int64Var(&o.maxFileSize, "max-file-size", scan.DefaultMaxFileSize, "skip files larger than this many bytes")
	f.IntVar(&o.workers, "workers", 0, "files scanned in parallel (default: the number of CPUs)")
	cmd.MarkFlagsMutuallyExclusive("git", "staged")
	return cmd
}

func runScan(cmd *cobra.Command, paths []string, o scanOptions) error {
	fail := func(err error) error { return &exitError{code: scanExitError, msg: "warden scan: " + err.Error()} }
	switch o.format {
	case "table", "json", "sarif":
	default:
		return fail(fmt.Errorf("--format %q: use table, json or sarif", o.format))
	}
	var baseline scan.Baseline
	if o.baseline != "" {
		f, err := os.Open(o.baseline)
		if err != nil {
			return fail(fmt.Errorf("read baseline: %w", err))
		}
		baseline, err = scan.ReadBaseline(f)
		f.Close()
		if err != nil {
			return fail(err)
		}
	}
	s, err := scan.New()
	if err != nil {
		return fail(err)
	}
	res, err := scanInputs(cmd, s, paths, o)
	if err != nil {
		return fail(err)
	}
	stderr := cmd.ErrOrStderr()
	for _, sk := range res.Skipped {
		fmt.Fprintf(stderr, "skipped %s: %s\n", sk.File, sk.Reason)
	}
	fresh := baseline.New(res.Findings)
	if o.server != "" && len(fresh) > 0 {
		if err := uploadFindings(cmd, fresh, paths, o); err != nil {
			return fail(err)
		}
	}
	out := cmd.OutOrStdout()
	switch o.format {
	case "json":
		err = scan.WriteJSONLines(out, fresh)
	case "sarif":
		err = scan.WriteSARIF(out, s.Rules(), fresh, "dev")
	default:
		if len(fresh) > 0 {
			err = scan.WriteTable(out, fresh)
		}
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "scanned %d files (%.1f MB): %d findings, %d new\n",
		res.Files, float64(res.Bytes)/1e6, len(res.Findings), len(fresh))
	if len(fresh) > 0 {
		return &exitError{code: scanExitFindings}
	}
	return nil
}

// scanInputs scans paths as files, git history or the staged diff.
func scanInputs(cmd *cobra.Command, s *scan.Scanner, paths []string, o scanOptions) (*scan.Result, error) {
	ctx := cmd.Context()
	if o.git || o.staged {
		total := &scan.Result{}
		for _, p := range paths {
			var res *scan.Result
			var err error
			if o.staged {
				res, err = s.ScanGitStaged(ctx, p)
			} else {
				res, err = s.ScanGitHistory(ctx, p)
			}
			if err != nil {
				return nil, err
			}
			merge(total, res)
		}
		scan.SortFindings(total.Findings)
		return total, nil
	}
	var files []string
	total := &scan.Result{}
	for _, p := range paths {
		if p == "-" {
			res, err := s.ScanReader(io.Reader(cmd.InOrStdin()), "(stdin)")
			if err != nil {
				return nil, err
			}
			merge(total, res)
			continue
		}
		files = append(files, p)
	}
	if len(files) > 0 {
		res, err := s.ScanPaths(ctx, files, scan.Options{MaxFileSize: o.maxFileSize, Workers: o.workers})
		if err != nil {
			return nil, err
		}
		merge(total, res)
	}
	scan.SortFindings(total.Findings)
	return total, nil
}

func merge(total, res *scan.Result) {
	total.Findings = append(total.Findings, res.Findings...)
	total.Skipped = append(total.Skipped, res.Skipped...)
	total.Files += res.Files
	total.Bytes += res.Bytes
}

// uploadFindings reports the findings to the server and attaches the
// identity each was correlated with. Only fingerprints, locations and
// redacted previews are sent.
func uploadFindings(cmd *cobra.Command, findings []scan.Finding, paths []string, o scanOptions) error {
	copts := &clientOptions{server: o.server, tokenFile: o.tokenFile, timeout: o.timeout}
	c, err := copts.newClient(cmd)
	if err != nil {
		return err
	}
	source := o.source
	if source == "" {
		source = defaultSource(paths)
	}
	for start := 0; start < len(findings); start += warden.MaxLeaksPerReport {
		batch := findings[start:min(len(findings), start+warden.MaxLeaksPerReport)]
		leaks := make([]*warden.Leak, len(batch))
		for i := range batch {
			leaks[i] = batch[i].Leak(source)
		}
		if err := c.RecordLeaks(cmd.Context(), leaks); err != nil {
			return fmt.Errorf("upload to %s: %w", o.server, explain(err))
		}
		for i, l := range leaks {
			batch[i].Identity = l.BlastRadius
		}
	}
	return nil
}

// defaultSource names a scan after the directory of its first path.
func defaultSource(paths []string) string {
	p := paths[0]
	if p == "-" {
		return "stdin"
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		abs = filepath.Dir(abs)
	}
	return strings.TrimPrefix(filepath.Base(abs), string(filepath.Separator))
}
