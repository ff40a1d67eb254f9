package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// stableIDs replaces each id by a numbered placeholder of the same width so
// the table keeps its alignment.
func stableIDs(s string) string {
	seen := map[string]string{}
	return uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := seen[id]; !ok {
			seen[id] = fmt.Sprintf("id-%0*d", len(id)-3, len(seen)+1)
		}
		return seen[id]
	})
}

func TestIdentitiesList_TableMatchesGolden(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	out := mustRun(t, "", "identities", "list")
	golden(t, "identities_list.golden", stableIDs(out))

	filtered := mustRun(t, "", "identities", "list", "--unowned", "--env", "prod", "--kind", "cloud_user")
	golden(t, "identities_list_unowned_prod_users.golden", stableIDs(filtered))
}

func TestIdentitiesList_JSONLinesHaveTheDocumentedFields(t *testing.T) {
	e := newAPIEnv(t)
	n := e.loadDemo(t, time.Now())
	out := mustRun(t, "", "identities", "list", "--json")

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	documented := strings.Split(jsonFields(warden.Identity{}), ", ")
	slices.Sort(documented)
	for i, line := range lines {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, documented) {
			t.Fatalf("line %d has fields %v, want the documented %v", i+1, keys, documented)
		}
	}
	help := mustRun(t, "", "identities", "list", "--help")
	if !strings.Contains(strings.Join(strings.Fields(help), " "), jsonFields(warden.Identity{})) {
		t.Error("help does not list the JSON fields")
	}
}

func TestIdentitiesList_FollowsEveryPage(t *testing.T) {
	e := newAPIEnv(t)
	n := e.loadDemo(t, time.Now())
	e.requests()

	out := mustRun(t, "", "identities", "list", "--json", "--page-size", "7")
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var id warden.Identity
		if err := json.Unmarshal([]byte(line), &id); err != nil {
			t.Fatal(err)
		}
		ids[id.ID] = true
	}
	if len(ids) != n {
		t.Errorf("got %d distinct identities, want %d", len(ids), n)
	}
	if got, want := countPath(e.requests(), "/v1/identities?"), (n+6)/7; got != want {
		t.Errorf("made %d list requests, want %d pages of 7", got, want)
	}
}

func TestIdentitiesList_LimitStopsEarly(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	e.requests()

	out := mustRun(t, "", "identities", "list", "--json", "--limit", "10", "--page-size", "4")
	if got := strings.Count(out, "\n"); got != 10 {
		t.Errorf("printed %d lines, want 10", got)
	}
	if got := countPath(e.requests(), "/v1/identities?"); got != 3 {
		t.Errorf("made %d requests, want 3 (4+4+2)", got)
	}

	mustRun(t, "", "identities", "list", "--limit", "10")
	reqs := e.requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].URL, "limit=10") {
		t.Errorf("requests = %+v, want one page of 10", reqs)
	}
}

func TestIdentitiesList_FiltersReachTheServer(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	out := mustRun(t, "", "identities", "list", "--json", "--provider", "aws", "--label", "team=team-platform",
		"--label", "aws-account", "--managed", "--sort", "-name", "--search", "terraform")
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var id warden.Identity
		if err := json.Unmarshal([]byte(line), &id); err != nil {
			t.Fatal(err)
		}
		if id.Provider != "aws" || id.Labels["team"] != "team-platform" || !id.Managed {
			t.Errorf("identity %s does not match the filters", id.ExternalID)
		}
		names = append(names, id.Name)
	}
	if len(names) == 0 || !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("names %v are not sorted descending", names)
	}
}

func TestIdentities_CreateGetUpdateDeprovision(t *testing.T) {
	e := newAPIEnv(t)
	arn := "arn:aws:iam::402118867530:role/ci/github-deploy-shipment-api"
	out := mustRun(t, "", "identities", "create", "--json", "--kind", "cloud_role", "--provider", "aws",
		"--external-id", arn, "--name", "github-deploy", "--owner", "team-shipping", "--env", "prod",
		"--label", "app=shipment-api", "--label", "trust=github-oidc", "--review-date", "2030-06-30")
	var created warden.Identity
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Labels["trust"] != "github-oidc" || !created.Managed ||
		created.NextReviewAt == nil || created.NextReviewAt.Format(time.DateOnly) != "2030-06-30" {
		t.Fatalf("created = %+v", created)
	}

	// Get by ARN (with '/') shows the detail view and credentials table.
	out = mustRun(t, "", "identities", "get", arn)
	for _, want := range []string{"External ID:  " + arn, "Owner:        team-shipping", "Labels:       app=shipment-api, trust=github-oidc", "Credentials:\nno credentials found"} {
		if !strings.Contains(out, want) {
			t.Errorf("get output lacks %q:\n%s", want, out)
		}
	}

	// Only the flags given are sent.
	e.requests()
	mustRun(t, "", "identities", "update", arn, "--owner", "", "--review-date", "none")
	patch := lastRequest(t, e, "PATCH")
	if patch.Body != `{"next_review_at":null,"owner":""}` {
		t.Errorf("PATCH body = %s", patch.Body)
	}
	out = mustRun(t, "", "identities", "update", created.ID, "--status", "quarantined", "--reason", "probe", "--json")
	var upd warden.Identity
	if err := json.Unmarshal([]byte(out), &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Owner != "" || upd.NextReviewAt != nil || upd.Status != warden.StatusQuarantined || upd.StatusReason != "probe" {
		t.Errorf("updated = %+v", upd)
	}

	if _, _, err := runCLI(t, "", "identities", "update", arn); err == nil || !strings.Contains(err.Error(), "nothing to change") {
		t.Errorf("update without flags: err = %v", err)
	}
	if _, _, err := runCLI(t, "", "identities", "deprovision", arn); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Errorf("deprovision without --reason: err = %v", err)
	}
	out = mustRun(t, "", "identities", "deprovision", arn, "--reason", "repo archived")
	if !strings.Contains(out, "deprovisioned") {
		t.Errorf("deprovision output:\n%s", out)
	}
}

func TestIdentitiesGet_AmbiguousExternalIDNeedsProvider(t *testing.T) {
	e := newAPIEnv(t)
	_ = e
	for _, p := range []string{"github", "gitlab"} {
		mustRun(t, "", "identities", "create", "--kind", "ci_identity", "--provider", p, "--external-id", "deploy-bot")
	}
	_, _, err := runCLI(t, "", "identities", "get", "deploy-bot")
	if err == nil || !strings.Contains(err.Error(), "--provider") || warden.ErrorCode(err) != warden.ECONFLICT {
		t.Fatalf("err = %v, want a conflict that suggests --provider", err)
	}
	out := mustRun(t, "", "identities", "get", "deploy-bot", "--provider", "gitlab", "--json")
	if !strings.Contains(out, `"provider":"gitlab"`) {
		t.Errorf("got %s", out)
	}
}

func TestIdentitiesCreate_LocalValidation(t *testing.T) {
	newAPIEnv(t)
	for name, args := range map[string][]string{
		"missing kind":   {"identities", "create", "--provider", "aws", "--external-id", "x"},
		"bad label":      {"identities", "create", "--kind", "bot", "--provider", "slack", "--external-id", "x", "--label", "oops"},
		"bad date":       {"identities", "create", "--kind", "bot", "--provider", "slack", "--external-id", "x", "--review-date", "next week"},
		"owner+unowned":  {"identities", "list", "--owner", "a", "--unowned"},
		"bad page size":  {"identities", "list", "--page-size", "501"},
		"server invalid": {"identities", "create", "--kind", "robot", "--provider", "slack", "--external-id", "x"},
	} {
		if _, _, err := runCLI(t, "", args...); err == nil {
			t.Errorf("%s: succeeded, want an error", name)
		}
	}
	_, _, err := runCLI(t, "", "identities", "create", "--kind", "robot", "--provider", "slack", "--external-id", "x")
	if err == nil || !strings.HasPrefix(err.Error(), "invalid kind:") {
		t.Errorf("err = %v, want it to name the field", err)
	}
}

func countPath(reqs []seenRequest, prefix string) int {
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r.URL, prefix) {
			n++
		}
	}
	return n
}

func lastRequest(t *testing.T, e *apiEnv, method string) seenRequest {
	t.Helper()
	reqs := e.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method {
			return reqs[i]
		}
	}
	t.Fatalf("no %s request among %+v", method, reqs)
	return seenRequest{}
}

func TestIdentitiesList_EmptyResultPrintsANoteNotAHeader(t *testing.T) {
	e := newAPIEnv(t)
	e.loadDemo(t, time.Now())
	out, errOut, err := runCLI(t, "", "identities", "list", "--search", "no-such-identity-anywhere")
	if err != nil || out != "" || errOut != "no identities found\n" {
		t.Errorf("stdout %q, stderr %q, err %v", out, errOut, err)
	}
}
