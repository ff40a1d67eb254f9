package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/warden-nhi/warden"
)

// stringList is an IAM policy value that is either one string or a list.
type stringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *stringList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("must be a string or a list of strings")
	}
	*l = list
	return nil
}

// statements is the Statement member: one statement or a list.
type statements []statement

// UnmarshalJSON implements json.Unmarshaler.
func (s *statements) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var one statement
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var list []statement
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	*s = list
	return nil
}

// statement is one IAM policy statement.
type statement struct {
	Sid          string          `json:"Sid"`
	Effect       string          `json:"Effect"`
	Action       stringList      `json:"Action"`
	NotAction    stringList      `json:"NotAction"`
	Resource     stringList      `json:"Resource"`
	NotResource  stringList      `json:"NotResource"`
	Principal    json.RawMessage `json:"Principal"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	Condition    json.RawMessage `json:"Condition"`
}

// policyDocument is an IAM policy or trust policy.
type policyDocument struct {
	Version   string     `json:"Version"`
	Statement statements `json:"Statement"`
}

// document is a policy document as GAAD gives it: a JSON object (the AWS
// CLI decodes it) or the URL-encoded JSON string of the raw API.
type document struct {
	policyDocument
	present bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *document) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	d.present = true
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		decoded, err := url.QueryUnescape(s)
		if err != nil {
			return fmt.Errorf("policy document is neither JSON nor URL-encoded JSON")
		}
		data = []byte(decoded)
	}
	if err := json.Unmarshal(data, &d.policyDocument); err != nil {
		return fmt.Errorf("policy document: %w", err)
	}
	return nil
}

// grantsOf turns a policy document into grants of kind, one per statement.
// via names the policy and scope the account. A statement with NotAction
// or NotResource becomes a grant on "*" that keeps the exclusions in its
// conditions under "NotAction" and "NotResource", so that broad-permission
// checks see it for what it is.
func grantsOf(doc policyDocument, kind warden.GrantKind, via, scope string) ([]*warden.Grant, error) {
	out := make([]*warden.Grant, 0, len(doc.Statement))
	for n, st := range doc.Statement {
		effect := strings.ToLower(st.Effect)
		if effect != "allow" && effect != "deny" {
			return nil, fmt.Errorf("%s: statement %d: Effect %q is not Allow or Deny", via, n+1, st.Effect)
		}
		g := &warden.Grant{
			Kind: kind, Effect: effect, Via: via, Scope: scope,
			Actions: nonNil(st.Action), Resources: nonNil(st.Resource), Principals: []string{},
		}
		extra := map[string]any{}
		if len(st.NotAction) > 0 {
			g.Actions = []string{"*"}
			extra["NotAction"] = []string(st.NotAction)
		}
		if len(st.NotResource) > 0 {
			g.Resources = []string{"*"}
			extra["NotResource"] = []string(st.NotResource)
		}
		if kind == warden.GrantTrust {
			principals, err := principalsOf(st.Principal)
			if err != nil {
				return nil, fmt.Errorf("%s: statement %d: Principal %w", via, n+1, err)
			}
			g.Principals = principals
			if len(st.NotPrincipal) > 0 && string(st.NotPrincipal) != "null" {
				np, err := principalsOf(st.NotPrincipal)
				if err != nil {
					return nil, fmt.Errorf("%s: statement %d: NotPrincipal %w", via, n+1, err)
				}
				g.Principals = []string{"*"}
				extra["NotPrincipal"] = np
			}
		}
		cond, err := conditions(st.Condition, extra)
		if err != nil {
			return nil, fmt.Errorf("%s: statement %d: %w", via, n+1, err)
		}
		g.Conditions = cond
		out = append(out, g)
	}
	return out, nil
}

// conditions merges a statement's Condition block with the exclusions.
func conditions(raw json.RawMessage, extra map[string]any) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		if len(extra) == 0 {
			return nil, nil
		}
		b, err := json.Marshal(extra)
		return b, err
	}
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, fmt.Errorf("Condition must be a JSON object")
	}
	if len(extra) == 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("Condition: %w", err)
		}
		return buf.Bytes(), nil
	}
	merged := map[string]any{}
	for k, v := range block {
		merged[k] = v
	}
	for k, v := range extra {
		merged[k] = v
	}
	return json.Marshal(merged)
}

// principalsOf flattens a Principal value: "*" or an object of
// AWS/Service/Federated/CanonicalUser to one string or a list. A bare
// account id becomes the account's root ARN.
func principalsOf(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return []string{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var byType map[string]stringList
	if err := json.Unmarshal(raw, &byType); err != nil {
		return nil, fmt.Errorf(`must be "*" or an object of AWS, Service, Federated or CanonicalUser values`)
	}
	var out []string
	for _, typ := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
		for _, p := range byType[typ] {
			if typ == "AWS" && isAccountID(p) {
				p = "arn:aws:iam::" + p + ":root"
			}
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accountOf returns the account id of an ARN, "" if it has none.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func nonNil(l stringList) []string {
	if l == nil {
		return []string{}
	}
	return []string(l)
}
