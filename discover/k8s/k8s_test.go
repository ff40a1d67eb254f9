package k8s

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const sample = "../../testdata/k8s/northwind-prod-rbac.json"

func readSample(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(sample)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type grantView struct {
	Actions    []string        `json:"actions"`
	Resources  []string        `json:"resources"`
	Conditions json.RawMessage `json:"conditions,omitempty"`
	Via        string          `json:"via"`
	Scope      string          `json:"scope"`
}

func TestParse_Golden(t *testing.T) {
	batch, warnings, err := Parse(bytes.NewReader(readSample(t)), "rbac.json")
	if err != nil {
		t.Fatal(err)
	}
	view := map[string]any{"warnings": warnings}
	ids := map[string]any{}
	for _, i := range batch.Identities {
		ids[i.ExternalID] = map[string]any{"name": i.Name, "owner": i.Owner, "labels": i.Labels, "managed": i.Managed}
	}
	grants := map[string][]grantView{}
	for _, ig := range batch.Grants {
		list := []grantView{}
		for _, g := range ig.Grants {
			list = append(list, grantView{g.Actions, g.Resources, g.Conditions, g.Via, g.Scope})
		}
		grants[ig.Identity.ExternalID] = list
	}
	creds := []string{}
	for _, c := range batch.Credentials {
		creds = append(creds, c.Identity.ExternalID+" "+string(c.Credential.Type)+" "+c.Credential.PublicID)
	}
	view["identities"], view["grants"], view["credentials"] = ids, grants, creds
	got, _ := json.MarshalIndent(view, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "rbac.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("differs from %s (go test -update after checking):\n%s", path, got)
	}
}

func TestParse_Malformed(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"Empty", "", "rbac.json: the input is empty"},
		{"BadJSON", `{"kind":"List","items":[{"kind":"ServiceAccount",}]}`, "rbac.json: record 1: malformed JSON"},
		{"SecondDocument", `{"kind":"List","items":[]} {"kind": 5}`, "rbac.json: record 2: field kind"},
		{"NoNamespace", `{"kind":"List","items":[{"kind":"ServiceAccount","metadata":{"name":"x"}}]}`, "rbac.json: record 1: item 1 (ServiceAccount x): metadata.name and metadata.namespace are required"},
		{"BadRoleRef", `{"kind":"ClusterRoleBinding","metadata":{"name":"b"},"roleRef":{"kind":"Group","name":"x"}}`, `roleRef.kind "Group"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse(strings.NewReader(tc.input), "rbac.json")
			if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tc.want) {
				t.Fatalf("error = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestImport_SampleClusterIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t", Name: "k8s"})
			im := &Importer{Store: db}
			rep, err := im.Import(ctx, bytes.NewReader(readSample(t)), "rbac.json")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Identities.Created != 7 || rep.Grants.Created != 6 || rep.Credentials.Created != 1 || len(rep.Warnings) != 1 {
				t.Fatalf("first import = %+v", *rep)
			}
			rep, err = im.Import(ctx, bytes.NewReader(readSample(t)), "rbac.json")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Identities.Unchanged != 7 || rep.Grants.Unchanged != 7 || rep.Credentials.Unchanged != 1 || rep.Identities.Created+rep.Identities.Updated+rep.Grants.Created+rep.Grants.Updated != 0 {
				t.Fatalf("re-import = %+v", *rep)
			}
			deployer, err := db.FindIdentityByRef(context.Background(), "system:serviceaccount:ci:deployer", warden.ProviderKubernetes)
			if err != nil {
				t.Fatal(err)
			}
			grants, _ := db.FindGrants(context.Background(), deployer.ID)
			if len(grants) != 2 || grants[0].Via != "ClusterRole/cluster-admin@ClusterRoleBinding/ci-deployer-admin" || grants[0].Scope != "cluster" || grants[0].Resources[0] != "*" {
				t.Fatalf("deployer grants = %+v", grants)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readSample(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		batch, _, err := Parse(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			if code := warden.ErrorCode(err); code != warden.EINVALID {
				t.Fatalf("error %v has code %s", err, code)
			}
			return
		}
		for _, i := range batch.Identities {
			if !strings.HasPrefix(i.ExternalID, "system:serviceaccount:") {
				t.Fatalf("identity %q", i.ExternalID)
			}
		}
	})
}
