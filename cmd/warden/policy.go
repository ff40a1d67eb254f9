package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write, test, replay and publish Cedar policies",
		Long: `Cedar policies decide every request at request time (POST /v1/authorize, Envoy ext_authz,
nginx auth_request). A policy directory holds *.cedar files, schema.cedarschema, optionally
disabled-guardrails.txt, and tests/*.json. See examples/policies.

Offline (no server): validate, test, guardrails.
Through the server (--server, WARDEN_TOKEN): push, list, activate, rollback, replay, decisions.`,
	}
	opts := addClientFlags(cmd, true)
	cmd.AddCommand(newPolicyValidateCmd(opts), newPolicyTestCmd(opts), newPolicyGuardrailsCmd(opts),
		newPolicyPushCmd(opts), newPolicyListCmd(opts), newPolicyActivateCmd(opts), newPolicyRollbackCmd(opts),
		newPolicyReplayCmd(opts), newPolicyDecisionsCmd(opts))
	return cmd
}

func newPolicyValidateCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR",
		Short: "Validate a policy directory against its schema (offline)",
		Long: `Parse every policy of DIR and validate it against DIR/schema.cedarschema plus warden's
Identity, Team and WardenToken. Every problem is printed as file:line:column; the exit
status is 1 when there is any.`,
		Example: "  warden policy validate examples/policies",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := policy.LoadDir(args[0])
			if err != nil {
				return err
			}
			set, err := policy.Compile(v)
			var pe *policy.ProblemsError
			if errors.As(err, &pe) {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, p := range pe.Problems {
					if opts.json {
						if err := jl.write(p); err != nil {
							return err
						}
					} else {
						fmt.Fprintln(cmd.OutOrStdout(), p.String())
					}
				}
				return &exitError{code: 1, msg: fmt.Sprintf("%d problems", len(pe.Problems))}
			} else if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d policy files, %d policies with the guardrails\n", len(v.Policies), set.Len())
			return nil
		},
	}
}

func newPolicyTestCmd(opts *clientOptions) *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run the policy tests of a directory (offline, for CI)",
		Long: `Compile DIR and run every case of DIR/tests/*.json: the request (principal or token,
action, resource, context) against the identities and entities of the file, and the
expected decision (and, when given, the exact determining policies). Prints one line per
case and exits 1 when any case fails, so it can gate a CI pipeline.`,
		Example: "  warden policy test examples/policies",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at %q: use an RFC 3339 time", at)
				}
				now = t
			}
			results, err := policy.RunTests(args[0], now)
			if err != nil {
				return err
			}
			failed := 0
			jl := newJSONLines(cmd.OutOrStdout())
			for _, r := range results {
				if !r.Pass {
					failed++
				}
				if opts.json {
					if err := jl.write(r); err != nil {
						return err
					}
					continue
				}
				status := "PASS"
				if !r.Pass {
					status = "FAIL"
				}
				line := fmt.Sprintf("%s  %s", status, r.Name)
				if !r.Pass {
					line += fmt.Sprintf(" (want %s, got %s by %v%s)", r.Want, r.Got, r.Policies, problemSuffix(r))
				}
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d passed, %d failed\n", len(results)-failed, failed)
			if failed > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "evaluate as of this RFC 3339 time (token expiry, credential ages); default now")
	return cmd
}

func problemSuffix(r policy.TestResult) string {
	if r.Problem != "" {
		return "; " + r.Problem
	}
	if len(r.Errors) > 0 {
		return fmt.Sprintf("; errors %v", r.Errors)
	}
	return ""
}

func newPolicyGuardrailsCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "guardrails",
		Short: "Print warden's built-in guardrail policies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, g := range policy.Guardrails() {
					if err := jl.write(g); err != nil {
						return err
					}
				}
				return nil
			}
			fmt.Fprint(cmd.OutOrStdout(), policy.GuardrailsText)
			return nil
		},
	}
}

func newPolicyPushCmd(opts *clientOptions) *cobra.Command {
	var description string
	var activate bool
	cmd := &cobra.Command{
		Use:     "push DIR",
		Short:   "Push a policy directory as a new version (validated by the server)",
		Example: "  warden policy push examples/policies --description 'payments v2' --activate",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := policy.LoadDir(args[0])
			if err != nil {
				return err
			}
			v.Description = description
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			out, err := c.PushPolicies(cmd.Context(), v)
			if err != nil {
				return explain(err)
			}
			if activate {
				if _, err := c.ActivatePolicyVersion(cmd.Context(), out.Version); err != nil {
					return explain(err)
				}
				out.Active = true
			}
			if opts.json {
				return newJSONLines(cmd.OutOrStdout()).write(out)
			}
			state := "inactive; activate with: warden policy activate " + strconv.FormatInt(out.Version, 10)
			if out.Active {
				state = "active"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "version %d (%s)\n", out.Version, state)
			return nil
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what changed in this version")
	cmd.Flags().BoolVar(&activate, "activate", false, "activate the version after pushing it")
	return cmd
}

func newPolicyListCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List policy versions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			list, err := c.FindPolicyVersions(cmd.Context())
			if err != nil {
				return explain(err)
			}
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, v := range list {
					if err := jl.write(v); err != nil {
						return err
					}
				}
				return nil
			}
			now := time.Now()
			t := newTable(cmd.OutOrStdout(), "VERSION", "ACTIVE", "CREATED", "BY", "DIGEST", "DESCRIPTION")
			for _, v := range list {
				active := ""
				if v.Active {
					active = "yes"
				}
				t.row(strconv.FormatInt(v.Version, 10), active, ago(now, &v.CreatedAt), clip(v.CreatedBy, 32), v.Digest[:12], clip(v.Description, 50))
			}
			return t.flush(cmd.ErrOrStderr(), "policy versions")
		},
	}
}

func newPolicyActivateCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "activate VERSION",
		Short: "Activate a policy version on every replica (audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("VERSION %q must be a positive integer", args[0])
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			a, err := c.ActivatePolicyVersion(cmd.Context(), n)
			if err != nil {
				return explain(err)
			}
			return printActivation(cmd, opts, a)
		},
	}
}

func newPolicyRollbackCmd(opts *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback",
		Short: "Re-activate the version that was active before the current one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			a, err := c.RollbackPolicyVersion(cmd.Context())
			if err != nil {
				return explain(err)
			}
			return printActivation(cmd, opts, a)
		},
	}
}

func printActivation(cmd *cobra.Command, opts *clientOptions, a *warden.PolicyActivation) error {
	if opts.json {
		return newJSONLines(cmd.OutOrStdout()).write(a)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "version %d active (%s; before: %d)\n", a.Version, a.Action, a.Previous)
	return nil
}

func newPolicyReplayCmd(opts *clientOptions) *cobra.Command {
	var dir, since string
	cmd := &cobra.Command{
		Use:   "replay --policies DIR --since TIME",
		Short: "What-if: replay logged decisions against a candidate policy directory",
		Long: `Fetch the decisions logged since TIME (every deny and the sampled allows) and the stored
entities, evaluate each logged request, on the facts it was decided with, against the
policies of DIR, and list every decision that would change. Nothing is changed on the
server. TIME is RFC 3339 or a duration back from now (24h, 90m).`,
		Example: "  warden policy replay --policies examples/policies-strict --since 24h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			v, err := policy.LoadDir(dir)
			if err != nil {
				return err
			}
			set, err := policy.Compile(v)
			if err != nil {
				return err
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			stored, err := c.FindPolicyEntities(cmd.Context())
			if err != nil {
				return explain(err)
			}
			entities, err := policy.StoredEntities(stored)
			if err != nil {
				return err
			}
			var records []*warden.DecisionRecord
			for d, err := range c.Decisions(cmd.Context(), warden.DecisionFilter{Since: &from, Limit: warden.MaxPageSize}) {
				if err != nil {
					return explain(err)
				}
				records = append(records, d)
			}
			res := policy.Replay(set, entities, records)
			if opts.json {
				jl := newJSONLines(cmd.OutOrStdout())
				for _, ch := range res.Changes {
					if err := jl.write(ch); err != nil {
						return err
					}
				}
			} else {
				t := newTable(cmd.OutOrStdout(), "TIME", "PRINCIPAL", "ACTION", "RESOURCE", "WAS", "NOW", "BY")
				for _, ch := range res.Changes {
					t.row(ch.Time.Format(time.RFC3339), clip(ch.Principal.ID, 40), ch.Action.ID, clip(ch.Resource.Type+"::"+ch.Resource.ID, 40), ch.Was, ch.Now, fmt.Sprint(ch.Policies))
				}
				if err := t.flush(cmd.ErrOrStderr(), "changed decisions"); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d decisions replayed, %d would change, %d skipped\n", res.Replayed, len(res.Changes), res.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "policies", "", "candidate policy directory (required)")
	cmd.Flags().StringVar(&since, "since", "24h", "replay decisions logged since this RFC 3339 time or duration ago")
	_ = cmd.MarkFlagRequired("policies")
	return cmd
}

// parseSince accepts an RFC 3339 time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: use an RFC 3339 time (2026-03-01T00:00:00Z) or a duration (24h)", s)
}
