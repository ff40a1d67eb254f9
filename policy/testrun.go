package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// TestFile is one file of policy tests: the inventory facts and entities
// the cases run against, and the cases.
type TestFile struct {
	Identities []TestIdentity  `json:"identities"`
	Entities   json.RawMessage `json:"entities"` // Cedar JSON entity list
	Cases      []TestCase      `json:"cases"`
}

// TestIdentity is an identity as the inventory would hold it, with the
// facts enrichment adds.
type TestIdentity struct {
	warden.Identity
	OpenFindings      []string `json:"open_findings"`
	CredentialAgeDays int      `json:"credential_age_days"`
}

// TestCase is one request and the decision it must get.
type TestCase struct {
	Name      string            `json:"name"`
	Principal *warden.EntityRef `json:"principal"`
	// Token stands for a verified warden token presented instead of a
	// principal: its claims, and whether it is revoked.
	Token    *TestToken       `json:"token"`
	Action   warden.EntityRef `json:"action"`
	Resource warden.EntityRef `json:"resource"`
	Context  json.RawMessage  `json:"context"`
	Decision string           `json:"decision"` // allow or deny
	// Policies, when given, must be exactly the determining policies.
	Policies []string `json:"policies"`
}

// TestToken is a verified token in a test case.
type TestToken struct {
	warden.TokenClaims
	Revoked bool `json:"revoked"`
}

// TestResult is the outcome of one case.
type TestResult struct {
	File     string   `json:"file"`
	Name     string   `json:"name"`
	Pass     bool     `json:"pass"`
	Want     string   `json:"want"`
	Got      string   `json:"got"`
	Policies []string `json:"policies"`
	Errors   []string `json:"errors,omitempty"`
	Problem  string   `json:"problem,omitempty"`
}

// RunTests compiles the policy directory and runs every case of its
// tests/*.json files, at time now (for token expiry and credential ages).
func RunTests(dir string, now time.Time) ([]TestResult, error) {
	v, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	set, err := Compile(v)
	if err != nil {
		return nil, err
	}
	files, err := testFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("policy directory %s has no tests/*.json files", dir)
	}
	var out []TestResult
	for _, f := range files {
		res, err := runTestFile(set, f, now)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

// ParseTestFile decodes a test file strictly.
func ParseTestFile(data []byte) (*TestFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var tf TestFile
	if err := dec.Decode(&tf); err != nil {
		return nil, err
	}
	for i, c := range tf.Cases {
		if c.Decision != "allow" && c.Decision != "deny" {
			return nil, fmt.Errorf("case %d (%q): decision must be allow or deny", i, c.Name)
		}
		if (c.Principal == nil) == (c.Token == nil) {
			return nil, fmt.Errorf("case %d (%q): give exactly one of principal and token", i, c.Name)
		}
	}
	return &tf, nil
}

func runTestFile(set *Set, path string, now time.Time) ([]TestResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tf, err := ParseTestFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	entities := types.EntityMap{}
	if len(tf.Entities) > 0 {
		if err := json.Unmarshal(tf.Entities, &entities); err != nil {
			return nil, fmt.Errorf("%s: entities: %w", path, err)
		}
	}
	byRef := map[string]types.EntityUID{}
	for _, ti := range tf.Identities {
		id := ti.Identity
		if id.ID == "" {
			id.ID = id.ExternalID
		}
		if id.Status == "" {
			id.Status = warden.StatusActive
		}
		facts := IdentityFacts{Identity: &id, OpenFindings: ti.OpenFindings}
		if ti.CredentialAgeDays > 0 {
			facts.Credentials = []*warden.Credential{{CreatedAt: now.Add(-time.Duration(ti.CredentialAgeDays) * 24 * time.Hour)}}
		}
		ent := IdentityEntity(facts, now)
		entities[ent.UID] = ent
		byRef[id.ID], byRef[id.ExternalID] = ent.UID, ent.UID
	}
	var out []TestResult
	for _, c := range tf.Cases {
		r := TestResult{File: path, Name: c.Name, Want: c.Decision}
		req := &Request{Principal: c.Principal, Action: c.Action, Resource: c.Resource, Context: c.Context}
		p, err := parseRequest(req)
		if err != nil {
			r.Problem = warden.ErrorMessage(err)
			out = append(out, r)
			continue
		}
		ctx := p.context
		var principal types.EntityUID
		if c.Token != nil {
			expired := !c.Token.ExpiresAt.IsZero() && !now.Before(c.Token.ExpiresAt)
			ctx = withToken(ctx, tokenRecord(&c.Token.TokenClaims, c.Token.Revoked, expired))
			principal = IdentityUID(c.Token.IdentityID)
		} else if principal, err = entityUID("principal", *c.Principal); err != nil {
			r.Problem = warden.ErrorMessage(err)
			out = append(out, r)
			continue
		}
		if uid, ok := byRef[string(principal.ID)]; ok && principal.Type == TypeIdentity {
			principal = uid
		}
		getter := &layered{request: p.entities, stored: entities}
		d, diag := set.Decide(cedar.Request{Principal: principal, Action: p.action, Resource: p.resource, Context: ctx}, getter)
		r.Got = "deny"
		if d == cedar.Allow {
			r.Got = "allow"
		}
		r.Policies, r.Errors = diagnosticStrings(diag)
		r.Pass = r.Got == c.Decision && (c.Policies == nil || slices.Equal(sorted(c.Policies), r.Policies))
		out = append(out, r)
	}
	return out, nil
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
