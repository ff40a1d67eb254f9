package rightsize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/discover/k8s"
	"github.com/warden-nhi/warden/rightsize"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// samples holds the project-written exports and logs (see its README).
const samples = "../testdata/rightsize"

// now ends the window: the samples' activity is in March 2026, with one
// CloudTrail record from November 2025 that a 90-day window leaves out.
var now = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

const (
	inventorySync = "system:serviceaccount:fulfilment:inventory-sync"
	ordersWorker  = "arn:aws:iam::318274650912:role/workload/orders-worker"
)

// importSamples imports the named sample files through warden's real
// importers into a real SQLite store.
func importSamples(t *testing.T, files ...string) *store.DB {
	t.Helper()
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "test"})
	importers := map[string]warden.Importer{
		"k8s-rbac.json":   &k8s.Importer{Store: db},
		"k8s-audit.jsonl": &k8s.AuditImporter{Store: db},
		"aws-gaad.json":   &aws.IAMImporter{Store: db},
		"cloudtrail.json": &aws.CloudTrailImporter{Store: db},
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(samples, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := importers[f].Import(ctx, bytes.NewReader(data), f); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
	return db
}

func rightsizeOf(t *testing.T, db *store.DB, externalID string) *warden.RightsizeReport {
	t.Helper()
	ctx := context.Background()
	id, err := db.FindIdentityByRef(ctx, externalID, "")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rightsize.New(rightsize.Config{Identities: db, Grants: db, Events: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Rightsize(ctx, id.ID, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rbacRule is a rule read back from the proposed YAML.
type rbacRule struct {
	Kind, Namespace string
	APIGroups       []string
	Resources       []string
	NonResourceURLs []string
	Verbs           []string
}

// readRBAC reads the documents warden writes back into rules: its YAML
// uses block mappings with flow lists of double-quoted strings, which are
// JSON arrays.
func readRBAC(t *testing.T, y string) []rbacRule {
	t.Helper()
	var out []rbacRule
	var kind, ns string
	var cur *rbacRule
	list := func(v string) []string {
		var l []string
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			t.Fatalf("not a flow list of strings: %q: %v", v, err)
		}
		return l
	}
	for _, line := range strings.Split(y, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "---":
			kind, ns = "", ""
		case strings.HasPrefix(line, "kind: "):
			kind = strings.TrimPrefix(line, "kind: ")
		case strings.HasPrefix(line, "  namespace: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "  namespace: ")), &ns); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(trimmed, "- "):
			out = append(out, rbacRule{Kind: kind, Namespace: ns})
			cur = &out[len(out)-1]
			trimmed = strings.TrimPrefix(trimmed, "- ")
			fallthrough
		default:
			k, v, ok := strings.Cut(trimmed, ": ")
			if !ok || cur == nil {
				continue
			}
			switch k {
			case "apiGroups":
				cur.APIGroups = list(v)
			case "resources":
				cur.Resources = list(v)
			case "nonResourceURLs":
				cur.NonResourceURLs = list(v)
			case "verbs":
				cur.Verbs = list(v)
			}
		}
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The acceptance test of the Kubernetes half: a service account that used
// get, list and watch on configmaps, pods and secrets in one namespace
// (among noise from other principals, a 404, and two refused requests)
// gets one Role in that namespace with exactly those rules.
func TestRightsize_K8sRoleHasExactlyTheUsedRules(t *testing.T) {
	db := importSamples(t, "k8s-rbac.json", "k8s-audit.jsonl")
	r := rightsizeOf(t, db, inventorySync)

	rules := readRBAC(t, r.KubernetesRBAC)
	var want []rbacRule
	for _, res := range []string{"configmaps", "pods", "secrets"} {
		want = append(want, rbacRule{Kind: "Role", Namespace: "fulfilment", APIGroups: []string{""}, Resources: []string{res}, Verbs: []string{"get", "list", "watch"}})
	}
	if !slices.EqualFunc(rules, want, func(a, b rbacRule) bool {
		return a.Kind == b.Kind && a.Namespace == b.Namespace && slices.Equal(a.APIGroups, b.APIGroups) &&
			slices.Equal(a.Resources, b.Resources) && slices.Equal(a.Verbs, b.Verbs) && len(a.NonResourceURLs) == 0
	}) {
		t.Fatalf("proposed rules:\n%+v\nwant:\n%+v\nYAML:\n%s", rules, want, r.KubernetesRBAC)
	}
	if strings.Contains(r.KubernetesRBAC, "ClusterRole") || strings.Contains(r.KubernetesRBAC, "resourceNames") {
		t.Errorf("want one namespaced Role without resourceNames:\n%s", r.KubernetesRBAC)
	}
	golden(t, "inventory-sync.rbac.yaml", []byte(r.KubernetesRBAC))

	// Evidence per permission: the 404 for a missing config map is not
	// evidence, the RequestReceived stage is not a second event.
	counts := map[string]int{}
	for _, u := range r.Used {
		if u.Namespace != "fulfilment" || u.Provider != warden.ProviderKubernetes {
			t.Errorf("used %+v: want Kubernetes use in fulfilment only", u)
		}
		counts[u.Permission] = u.Count
		if !slices.Equal(u.GrantedBy, []string{"Role/inventory-sync@RoleBinding/fulfilment/inventory-sync"}) {
			t.Errorf("%s granted by %v", u.Permission, u.GrantedBy)
		}
	}
	wantCounts := map[string]int{
		"get configmaps": 2, "list configmaps": 1, "watch configmaps": 1,
		"get pods": 2, "list pods": 2, "watch pods": 2,
		"get secrets": 2, "list secrets": 1, "watch secrets": 1,
	}
	if !mapsEqual(counts, wantCounts) {
		t.Errorf("evidence counts = %v, want %v", counts, wantCounts)
	}
	wantTally := warden.RightsizeCounts{Events: 17, Used: 14, Denied: 2, Failed: 1}
	if r.Counts != wantTally {
		t.Errorf("counts = %+v, want %+v", r.Counts, wantTally)
	}
	var denied []string
	for _, d := range r.Denied {
		denied = append(denied, d.Permission+" in "+d.Namespace)
	}
	if want := []string{"delete secrets in fulfilment", "list secrets in kube-system"}; !slices.Equal(denied, want) {
		t.Errorf("denied = %v, want %v", denied, want)
	}

	// The '*' verbs on the three resources were used, for three verbs
	// each: wildcards, not unused. Everything else granted was unused.
	var unused, wild []string
	for _, g := range r.Unused {
		unused = append(unused, g.Permission+"@"+g.Scope)
	}
	for _, g := range r.Wildcards {
		wild = append(wild, g.Permission+"="+strings.Join(g.Covers, ","))
	}
	wantUnused := []string{
		"get nodes@cluster", "list nodes@cluster",
		"create jobs.batch@fulfilment", "create pods/exec@fulfilment", "delete jobs.batch@fulfilment",
		"get deployments.apps@fulfilment", "list deployments.apps@fulfilment", "patch deployments.apps@fulfilment",
		"update deployments.apps@fulfilment", "watch deployments.apps@fulfilment",
	}
	if !slices.Equal(unused, wantUnused) {
		t.Errorf("unused =\n%v\nwant\n%v", unused, wantUnused)
	}
	wantWild := []string{
		"* configmaps=get configmaps in fulfilment,list configmaps in fulfilment,watch configmaps in fulfilment",
		"* pods=get pods in fulfilment,list pods in fulfilment,watch pods in fulfilment",
		"* secrets=get secrets in fulfilment,list secrets in fulfilment,watch secrets in fulfilment",
	}
	if !slices.Equal(wild, wantWild) {
		t.Errorf("wildcards =\n%v\nwant\n%v", wild, wantWild)
	}
	if r.AWSPolicy != nil {
		t.Errorf("a service account with no AWS activity got an IAM policy: %+v", r.AWSPolicy)
	}
}

// The acceptance test of the AWS half: a role granted s3:* and dynamodb:*
// (and more) that used a handful of actions, some through API calls named
// differently from their permission, gets a policy of exactly those
// actions; refused, failed, permission-free and out-of-window calls are
// not in it.
func TestRightsize_IAMPolicyHasExactlyTheUsedActions(t *testing.T) {
	db := importSamples(t, "aws-gaad.json", "cloudtrail.json")
	r := rightsizeOf(t, db, ordersWorker)
	if r.AWSPolicy == nil {
		t.Fatal("no IAM policy proposed")
	}
	var actions []string
	for _, st := range r.AWSPolicy.Statement {
		if st.Effect != "Allow" {
			t.Errorf("statement %s: effect %s", st.Sid, st.Effect)
		}
		actions = append(actions, st.Action...)
	}
	slices.Sort(actions)
	want := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "kms:Decrypt", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "ssm:GetParameter"}
	if !slices.Equal(actions, want) {
		t.Fatalf("policy actions = %v, want exactly %v", actions, want)
	}
	doc, err := json.MarshalIndent(r.AWSPolicy, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "orders-worker.iam.json", append(doc, '\n'))

	counts := map[string]int{}
	for _, u := range r.Used {
		counts[u.Permission] = u.Count
	}
	wantCounts := map[string]int{
		"dynamodb:GetItem": 2, "dynamodb:PutItem": 1, "dynamodb:Query": 1, "kms:Decrypt": 2,
		"s3:GetObject":     4, // GetObject ×3 and HeadObject
		"s3:ListBucket":    1, // ListObjects
		"s3:PutObject":     4, // PutObject and a multipart upload's three calls
		"ssm:GetParameter": 1,
	}
	if !mapsEqual(counts, wantCounts) {
		t.Errorf("evidence counts = %v, want %v", counts, wantCounts)
	}
	wantTally := warden.RightsizeCounts{Events: 19, Used: 16, Denied: 1, Failed: 1, NoPermission: 1}
	if r.Counts != wantTally {
		t.Errorf("counts = %+v, want %+v", r.Counts, wantTally)
	}
	if len(r.Denied) != 1 || r.Denied[0].Permission != "s3:DeleteObject" || !slices.Equal(r.Denied[0].ErrorCodes, []string{"AccessDenied"}) {
		t.Errorf("denied = %+v, want the refused s3:DeleteObject", r.Denied)
	}

	var unused, wild []string
	for _, g := range r.Unused {
		unused = append(unused, g.Permission)
	}
	for _, g := range r.Wildcards {
		wild = append(wild, g.Permission+"="+strings.Join(g.Covers, ","))
	}
	if want := []string{"kms:GenerateDataKey", "sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"}; !slices.Equal(sorted(unused), want) {
		t.Errorf("unused = %v, want %v", unused, want)
	}
	wantWild := []string{
		"dynamodb:*=dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query",
		"s3:*=s3:GetObject,s3:ListBucket,s3:PutObject",
		"ssm:GetParameter*=ssm:GetParameter",
	}
	if !slices.Equal(sorted(wild), wantWild) {
		t.Errorf("wildcards = %v, want %v", wild, wantWild)
	}
	if r.KubernetesRBAC != "" {
		t.Errorf("an IAM role with no Kubernetes activity got RBAC:\n%s", r.KubernetesRBAC)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
