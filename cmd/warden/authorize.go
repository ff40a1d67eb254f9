package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

func newAuthorizeCmd() *cobra.Command {
	var principal, token, action, resource, ctxJSON string
	var opts *clientOptions
	cmd := &cobra.Command{
		Use:   "authorize --principal REF --action ACTION --resource TYPE::ID",
		Short: "Ask the decision point for one decision",
		Long: `Ask the server's policy decision point whether PRINCIPAL may do ACTION on RESOURCE.
--principal is an identity id or external id (SPIFFE ID, ARN, system:serviceaccount:ns:name),
or TYPE::ID for a principal of your own model; --token presents a warden-issued token
instead. Exit status 0 means allow, 3 deny.`,
		Example: `  warden authorize --principal system:serviceaccount:payments:checkout --action read --resource Secret::db-password
  warden authorize --principal spiffe://northwind/ns/shop/sa/checkout --action GET --resource Route::/api/payments --context '{"source_ip":"10.0.0.7"}' --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &policy.Request{Token: token, Action: warden.EntityRef{Type: "Action", ID: action}}
			if principal != "" {
				ref := warden.EntityRef{Type: "Identity", ID: principal}
				if typ, id, ok := strings.Cut(principal, "::"); ok && !strings.Contains(typ, ":") {
					ref = warden.EntityRef{Type: typ, ID: id}
				}
				req.Principal = &ref
			}
			typ, id, ok := strings.Cut(resource, "::")
			if !ok {
				return fmt.Errorf("--resource %q: use TYPE::ID, such as Secret::db-password", resource)
			}
			req.Resource = warden.EntityRef{Type: typ, ID: id}
			if ctxJSON != "" {
				if !json.Valid([]byte(ctxJSON)) {
					return fmt.Errorf("--context is not valid JSON")
				}
				req.Context = json.RawMessage(ctxJSON)
			}
			c, err := opts.newClient(cmd)
			if err != nil {
				return err
			}
			d, err := c.Authorize(cmd.Context(), req)
			if err != nil {
				return explain(err)
			}
			if opts.json {
				if err := newJSONLines(cmd.OutOrStdout()).write(d); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  policies=%v  principal=%s::%q  decision=%s\n", strings.ToUpper(d.Decision), d.Policies, d.Principal.Type, d.Principal.ID, d.ID)
				for _, e := range d.Errors {
					fmt.Fprintln(cmd.OutOrStdout(), "  error:", e)
				}
			}
			if !d.Allowed() {
				return &exitError{code: 3}
			}
			return nil
		},
	}
	opts = addClientFlags(cmd, false)
	f := cmd.Flags()
	f.StringVar(&principal, "principal", "", "identity id or external id, or TYPE::ID")
	f.StringVar(&token, "token", "", "a warden-issued token naming the principal")
	f.StringVar(&action, "action", "", "action id (required)")
	f.StringVar(&resource, "resource", "", "resource as TYPE::ID (required)")
	f.StringVar(&ctxJSON, "context", "", "context as a JSON object")
	_ = cmd.MarkFlagRequired("action")
	_ = cmd.MarkFlagRequired("resource")
	return cmd
}
