package aws

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// samples is the repository's shared sample data.
const samples = "../../testdata/aws"

// golden compares v, as indented JSON, with testdata/<name>.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file %s (run go test -update after checking the change):\n%s", name, path, got)
	}
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The golden files hold what the importers set, not whole domain structs,
// so that a field added to the domain does not churn them.

type identityView struct {
	Kind        warden.IdentityKind `json:"kind"`
	Provider    warden.Provider     `json:"provider"`
	ExternalID  string              `json:"external_id"`
	Name        string              `json:"name"`
	Owner       string              `json:"owner,omitempty"`
	Purpose     string              `json:"purpose,omitempty"`
	Environment string              `json:"environment,omitempty"`
	Labels      map[string]string   `json:"labels"`
	Managed     bool                `json:"managed"`
	FirstSeenAt *time.Time          `json:"first_seen_at,omitempty"`
	LastUsedAt  *time.Time          `json:"last_used_at,omitempty"`
}

func viewIdentity(i *warden.Identity) *identityView {
	if i == nil {
		return nil
	}
	return &identityView{i.Kind, i.Provider, i.ExternalID, i.Name, i.Owner, i.Purpose, i.Environment, i.Labels, i.Managed, i.FirstSeenAt, i.LastUsedAt}
}

type credentialView struct {
	Identity      warden.IdentityRef      `json:"identity"`
	Type          warden.CredentialType   `json:"type"`
	PublicID      string                  `json:"public_id"`
	Description   string                  `json:"description"`
	Status        warden.CredentialStatus `json:"status"`
	ExpiresAt     *time.Time              `json:"expires_at,omitempty"`
	LastRotatedAt *time.Time              `json:"last_rotated_at,omitempty"`
	LastUsedAt    *time.Time              `json:"last_used_at,omitempty"`
}

type grantView struct {
	Kind       warden.GrantKind `json:"kind"`
	Effect     string           `json:"effect"`
	Actions    []string         `json:"actions"`
	Resources  []string         `json:"resources"`
	Principals []string         `json:"principals"`
	Conditions json.RawMessage  `json:"conditions"`
	Via        string           `json:"via"`
	Scope      string           `json:"scope"`
	Source     string           `json:"source"`
}

// viewBatch is the golden form of an inventory batch.
func viewBatch(b warden.InventoryBatch, warnings []string) map[string]any {
	ids := []*identityView{}
	for _, i := range b.Identities {
		ids = append(ids, viewIdentity(i))
	}
	grants := map[string][]grantView{}
	for _, ig := range b.Grants {
		list := []grantView{}
		for _, g := range ig.Grants {
			list = append(list, grantView{g.Kind, g.Effect, g.Actions, g.Resources, g.Principals, g.Conditions, g.Via, g.Scope, g.Source})
		}
		grants[string(ig.Identity.Provider)+" "+ig.Identity.ExternalID] = list
	}
	creds := []credentialView{}
	for _, c := range b.Credentials {
		k := c.Credential
		creds = append(creds, credentialView{c.Identity, k.Type, k.PublicID, k.Description, k.Status, k.ExpiresAt, k.LastRotatedAt, k.LastUsedAt})
	}
	if warnings == nil {
		warnings = []string{}
	}
	return map[string]any{"source": b.Source, "identities": ids, "grants": grants, "credentials": creds, "warnings": warnings}
}

// viewEvents is the golden form of parsed events with their actors.
func viewEvents(events []parsedEvent) []map[string]any {
	out := []map[string]any{}
	for _, e := range events {
		out = append(out, map[string]any{"event": e.Event, "actor": viewIdentity(e.Identity)})
	}
	return out
}
