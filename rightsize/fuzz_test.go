package rightsize_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/rightsize"
)

// FuzzRightsize: event actions and resources are outside text (logs,
// POST /v1/events) and so are grants; whatever they hold, the analysis
// does not panic, proposes only permissions that were used, and writes
// YAML whose every line is a comment, a separator or a key with a
// well-formed value (no injected line or document), the same every time.
func FuzzRightsize(f *testing.F) {
	f.Add(uint8(1), "get pods/log", "/namespaces/prod/pods/p1/log", uint8(0), "*", "pods/*", "prod")
	f.Add(uint8(1), "list deployments.apps", "/namespaces/prod/deployments.apps", uint8(1), "list", "deployments.apps", "cluster")
	f.Add(uint8(1), "get /healthz", "/healthz", uint8(0), "get", "/heal*", "cluster")
	f.Add(uint8(0), "s3:ListObjects", "arn:aws:s3:::b", uint8(0), "s3:*", "arn:aws:s3:::b*", "")
	f.Add(uint8(0), "lambda:GetFunction20150331v2", "", uint8(2), "lambda:Get*", "*", "")
	f.Add(uint8(1), "get \"x\ny\"", "/namespaces/a\nkind: ClusterRole/pods", uint8(0), "get", "*", "a\nb")
	f.Fuzz(func(t *testing.T, src uint8, action, resource string, outcome uint8, grantAction, grantResource, scope string) {
		source, provider, grantSource := "cloudtrail", warden.ProviderAWS, "aws-iam"
		if src%2 == 1 {
			source, provider, grantSource = "k8s-audit", warden.ProviderKubernetes, "k8s"
		}
		e := &warden.Event{Source: source, Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Action: action, Resource: resource,
			Outcome:   []warden.Outcome{warden.OutcomeAllow, warden.OutcomeDeny, warden.OutcomeError}[outcome%3],
			Principal: "arn:aws:iam::318274650912:role/app", Region: "eu-central-1"}
		u := rightsize.NewUsage()
		u.Add(e)
		u.Add(e)
		grants := []*warden.Grant{{ID: "g", Kind: warden.GrantPermission, Effect: "allow", Source: grantSource, Via: "v",
			Actions: []string{grantAction}, Resources: []string{grantResource}, Scope: scope}}
		id := &warden.Identity{ID: "i", Provider: provider, ExternalID: "system:serviceaccount:" + scope + ":" + action, Name: action}
		w := rightsize.Window{Since: e.Time.Add(-time.Hour), Until: e.Time.Add(time.Hour)}
		r := rightsize.Analyze(id, grants, u, w)
		if again := rightsize.Analyze(id, grants, u, w); again.KubernetesRBAC != r.KubernetesRBAC {
			t.Fatal("the YAML is not deterministic")
		}
		var used []string
		for _, p := range r.Used {
			used = append(used, p.Permission)
			if p.Count != 2 {
				t.Fatalf("%s counted %d times, want 2", p.Permission, p.Count)
			}
		}
		if r.AWSPolicy != nil {
			for _, st := range r.AWSPolicy.Statement {
				for _, a := range st.Action {
					if !slices.Contains(used, a) {
						t.Fatalf("policy action %q was not used (%v)", a, used)
					}
				}
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(r.KubernetesRBAC, "\n"), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case line == "" && r.KubernetesRBAC == "", line == "---", strings.HasPrefix(trimmed, "#"):
				continue
			}
			key, value, ok := strings.Cut(strings.TrimPrefix(trimmed, "- "), ":")
			if !ok || strings.ContainsAny(key, " \"") {
				t.Fatalf("line %q is not a key", line)
			}
			value = strings.TrimSpace(value)
			if value == "" || strings.HasPrefix(value, "rbac.") || value == "Role" || value == "ClusterRole" {
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				t.Fatalf("line %q: value is not a quoted scalar or flow list: %v", line, err)
			}
		}
		_ = readRBAC(t, r.KubernetesRBAC)
	})
}
