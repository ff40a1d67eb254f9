package github

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	sampleLines = "northwind-audit.jsonl"    // export / stream: JSON Lines
	sampleAPI   = "northwind-audit-api.json" // REST API page: a JSON array
)

func readSample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/github", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func importCtx() context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "importer"})
}

type parsed struct {
	Event      *warden.Event              `json:"event"`
	Identity   *warden.Identity           `json:"identity"`
	Credential *warden.ImportedCredential `json:"credential"`
}

// parse reads data and returns the kept events with what they involve.
func parse(tb testing.TB, data []byte, ref string) ([]parsed, int, error) {
	tb.Helper()
	in, err := discover.Open(bytes.NewReader(data), ref, 0)
	if err != nil {
		return nil, 0, err
	}
	p, err := NewParser(in, ref)
	if err != nil {
		return nil, 0, err
	}
	var out []parsed
	for {
		ok, err := p.Next()
		if err != nil || !ok {
			return out, p.Skipped(), err
		}
		e := new(warden.Event)
		a, err := p.Event(e)
		if err != nil {
			return out, p.Skipped(), err
		}
		if a.Keep {
			out = append(out, parsed{e, a.Identity, a.Credential})
		}
	}
}

func TestParse_Golden(t *testing.T) {
	for _, name := range []string{sampleLines, sampleAPI} {
		t.Run(name, func(t *testing.T) {
			events, skipped, err := parse(t, readSample(t, name), name)
			if err != nil {
				t.Fatal(err)
			}
			view := []map[string]any{}
			for _, e := range events {
				var cred any
				if e.Credential != nil {
					c := e.Credential.Credential
					cred = map[string]any{"identity": e.Credential.Identity, "type": c.Type, "public_id": c.PublicID, "fingerprint": c.Fingerprint, "description": c.Description}
				}
				view = append(view, map[string]any{"event": e.Event, "identity": idView(e.Identity), "credential": cred})
			}
			got, _ := json.MarshalIndent(map[string]any{"skipped": skipped, "events": view}, "", "  ")
			got = append(got, '\n')
			path := filepath.Join("testdata", strings.SplitN(name, ".", 2)[0]+".golden.json")
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
		})
	}
}

// TestParse_Normalises checks one event of each kind of NHI.
func TestParse_Normalises(t *testing.T) {
	events, skipped, err := parse(t, readSample(t, sampleLines), sampleLines)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 || len(events) != 18 {
		t.Fatalf("%d kept, %d skipped; want 18 and the web-UI repo.create", len(events), skipped)
	}
	byID := map[string]parsed{}
	for _, e := range events {
		byID[e.Event.RawID] = e
	}
	sha := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, tc := range []struct {
		name, id, principal, session, resource string
		kind                                   warden.IdentityKind
		typ                                    string
		credType                               warden.CredentialType
		credID, fingerprint                    string
		outcome                                warden.Outcome
	}{
		{"AppInstalledByPerson", "Kq3vT0n2lF8uXc1m9ZpA7w", "alice-nw", "", "app/nw-deploy-bot", warden.KindOAuthApp, "github_app", "", "", "", warden.OutcomeAllow},
		{"AppBotClones", "b7Qe2Lr0sD4nHf8kVw1yXg", "app/nw-deploy-bot", "", "northwind-freight/shipment-api", warden.KindOAuthApp, "github_app", "", "", "", warden.OutcomeAllow},
		{"Dependabot", "Zr4T8yU1iO5pA9sD3fG7hJ", "app/dependabot", "", "northwind-freight/billing-ui", warden.KindOAuthApp, "github_app", "", "", "", warden.OutcomeAllow},
		{"MachineUserFineGrainedPAT", "qW2eR5tY8uI1oP4aS7dF0g", "user/nw-release-bot", "", "northwind-freight/shipment-api", warden.KindBot, "machine_user", warden.CredentialAPIKey, "github-token:318844", sha("github_pat_11RELEASEBOT"), warden.OutcomeAllow},
		{"PersonsClassicPAT", "hJ4kL7zX0cV3bN6mQ9wE2r", "pat/9911024", "jdoe", "northwind-freight/infra-live", warden.KindAPIKey, "pat_classic", warden.CredentialAPIKey, "github-token:9911024", sha("ghp_jdoeScriptToken"), warden.OutcomeAllow},
		{"DeployKeyAdded", "yU6iO9pA2sD5fG8hJ1kL4z", "alice-nw", "", "deploy-key/northwind-freight/infra-live/" + strings.TrimRight(b64sha("argocd-deploy-key-blob"), "="), warden.KindCIIdentity, "deploy_key", warden.CredentialSSHKey, "SHA256:" + strings.TrimRight(b64sha("argocd-deploy-key-blob"), "="), "", warden.OutcomeAllow},
		{"DeployKeyClones", "cV8bN1mQ4wE7rT0yU3iO6p", "deploy-key/northwind-freight/infra-live/" + strings.TrimRight(b64sha("argocd-deploy-key-blob"), "="), "", "northwind-freight/infra-live", warden.KindCIIdentity, "deploy_key", warden.CredentialSSHKey, "SHA256:" + strings.TrimRight(b64sha("argocd-deploy-key-blob"), "="), "", warden.OutcomeAllow},
		{"OAuthAppForUser", "kL0zX3cV6bN9mQ2wE5rT8y", "oauth-app/2214509", "bob-nw", "northwind-freight/shipment-api", warden.KindOAuthApp, "oauth_app", warden.CredentialToken, "github-token-sha256:" + sha("gho_dashboardBobToken"), sha("gho_dashboardBobToken"), warden.OutcomeAllow},
		{"ActionsOIDC", "uI1oP4aS7dF0gH3jK6lZ9x", "repo:northwind-freight/shipment-api:ref:refs/heads/main", "13382204511", "token.actions.githubusercontent.com", warden.KindCIIdentity, "actions_workflow", "", "", "", warden.OutcomeAllow},
		{"DeniedTokenRequest", "dF6gH9jK2lZ5xC8vB1nM4q", "alice-nw", "", "user/mallory-automation", "", "", "", "", "", warden.OutcomeDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := byID[tc.id]
			if !ok {
				t.Fatalf("event %s not kept", tc.id)
			}
			e := got.Event
			if e.Principal != tc.principal || e.Session != tc.session || e.Resource != tc.resource || e.Outcome != tc.outcome || e.Provider != warden.ProviderGitHub {
				t.Fatalf("event = %+v", e)
			}
			if tc.kind == "" {
				if got.Identity != nil {
					t.Fatalf("identity = %+v, want none", got.Identity)
				}
				return
			}
			if got.Identity == nil || got.Identity.Kind != tc.kind || got.Identity.Labels["github.type"] != tc.typ || got.Identity.Validate() != nil {
				t.Fatalf("identity = %+v", got.Identity)
			}
			if tc.credType == "" {
				if got.Credential != nil {
					t.Fatalf("credential = %+v, want none", got.Credential)
				}
				return
			}
			c := got.Credential
			if c == nil || c.Credential.Type != tc.credType || c.Credential.PublicID != tc.credID || c.Credential.Fingerprint != tc.fingerprint || c.Identity.ExternalID != got.Identity.ExternalID {
				t.Fatalf("credential = %+v", c)
			}
		})
	}
}

func b64sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64Std(h[:])
}

func TestParse_Malformed(t *testing.T) {
	good := `{"@timestamp":1772359200000,"_document_id":"a","action":"git.clone","actor":"x-bot","repo":"o/r"}`
	for _, tc := range []struct{ name, input, want string }{
		{"BadJSON", good + "\n" + `{"action": }`, "audit.json: record 2: malformed JSON"},
		{"WrongType", good + "\n" + `{"action": 5}`, "audit.json: record 2: field action must be a string"},
		{"MissingID", good + "\n" + `{"@timestamp":1,"action":"x"}`, "audit.json: record 2: an audit-log event needs _document_id"},
		{"BadTime", `{"@timestamp":"yesterday","_document_id":"a","action":"x"}`, "audit.json: record 1: field @timestamp"},
		{"NegativeTime", `{"@timestamp":-5,"_document_id":"a","action":"x"}`, "audit.json: record 1: field @timestamp must be Unix milliseconds"},
		{"BadBool", `{"@timestamp":1,"_document_id":"a","action":"x","actor_is_bot":"yes"}`, "field actor_is_bot must be true or false"},
		{"Truncated", "[" + good + "," + good, "audit.json: record 3: the input ends"},
		{"NotJSON", "hello", "audit.json: expected a JSON array"},
		{"TrailingData", "[" + good + "] {}", "audit.json: data after the end of the array"},
		{"NotAnObject", "[" + good + ",7]", "audit.json: record 2: malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, []byte(tc.input), "audit.json")
			if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tc.want) {
				t.Fatalf("error = %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

// TestParse_Pages reads API pages concatenated by gh api --paginate.
func TestParse_Pages(t *testing.T) {
	page := strings.TrimSpace(string(readSample(t, sampleAPI)))
	one, _, err := parse(t, []byte(page), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	two, _, err := parse(t, []byte(page+"\n"+page), "p.json")
	if err != nil || len(two) != 2*len(one) || len(one) != 6 {
		t.Fatalf("one page %d events, two pages %d, %v", len(one), len(two), err)
	}
}

func forEachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

// TestImport_SampleOrgIsIdempotent imports the JSON Lines export in small
// batches and then the API page (the same first six events): NHIs are
// created not onboarded, credentials recorded with their last use, and
// the second import and a re-import change nothing.
func TestImport_SampleOrgIsIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rep, err := (&Importer{Store: db, BatchSize: 4}).Import(importCtx(), bytes.NewReader(readSample(t, sampleLines)), sampleLines)
		if err != nil {
			t.Fatal(err)
		}
		want := warden.ImportReport{Records: 19, Skipped: 1, Events: warden.ImportResult{Created: 18}, Identities: warden.ImportResult{Created: 9}, Credentials: warden.ImportResult{Created: 4}}
		if rep.Records != want.Records || rep.Skipped != want.Skipped || rep.Events != want.Events || rep.Identities.Created != want.Identities.Created || rep.Credentials.Created != want.Credentials.Created {
			t.Fatalf("report = %+v", *rep)
		}
		before, _ := db.VerifyAudit(ctx)
		for _, name := range []string{sampleAPI, sampleLines} {
			again, err := (&Importer{Store: db}).Import(importCtx(), bytes.NewReader(readSample(t, name)), name)
			if err != nil {
				t.Fatal(err)
			}
			if again.Events.Created+again.Identities.Created+again.Identities.Updated+again.Credentials.Created+again.Credentials.Updated != 0 {
				t.Fatalf("re-import of %s changed something: %+v", name, *again)
			}
		}
		after, _ := db.VerifyAudit(ctx)
		if after.Records != before.Records || !after.OK {
			t.Fatalf("re-import wrote %d audit records", after.Records-before.Records)
		}
		bot, err := db.FindIdentityByRef(ctx, "user/nw-release-bot", warden.ProviderGitHub)
		if err != nil {
			t.Fatal(err)
		}
		if bot.Managed || bot.Kind != warden.KindBot || bot.LastUsedAt == nil || bot.LastUsedAt.Format("15:04:05") != "10:25:05" {
			t.Fatalf("nw-release-bot = %+v", bot)
		}
		creds, _, _ := db.FindCredentials(ctx, warden.CredentialFilter{IdentityID: bot.ID})
		if len(creds) != 1 || creds[0].PublicID != "github-token:318844" || creds[0].LastUsedAt == nil || !creds[0].LastUsedAt.Equal(*bot.LastUsedAt) {
			t.Fatalf("nw-release-bot credentials = %+v", creds)
		}
		ci, err := db.FindIdentityByRef(ctx, "repo:northwind-freight/shipment-api:ref:refs/heads/main", warden.ProviderGitHub)
		if err != nil || ci.Kind != warden.KindCIIdentity || ci.Labels["github.oidc"] != "true" {
			t.Fatalf("Actions identity = %+v, %v", ci, err)
		}
	})
}

func TestImport_MalformedWritesNothingOfItsBatch(t *testing.T) {
	db := storetest.OpenSQLite(t)
	lines := strings.SplitAfter(string(readSample(t, sampleLines)), "\n")
	lines[9] = `{"@timestamp":"soon"}` + "\n"
	_, err := (&Importer{Store: db, BatchSize: 4}).Import(importCtx(), strings.NewReader(strings.Join(lines, "")), "bad.jsonl")
	if warden.ErrorCode(err) != warden.EINVALID || !strings.Contains(err.Error(), "bad.jsonl: record 10") || !strings.Contains(err.Error(), "the 8 events before its batch were stored") {
		t.Fatalf("error = %v", err)
	}
	events, _, _ := db.FindEvents(context.Background(), warden.EventFilter{Limit: 100})
	if len(events) != 8 {
		t.Fatalf("%d events stored, want the 8 of the two complete batches", len(events))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readSample(f, sampleLines))
	f.Add(readSample(f, sampleAPI))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bufio.NewReader(bytes.NewReader(data))
		p, err := NewParser(in, "fuzz.json")
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error %v", err)
			}
			return
		}
		for {
			ok, err := p.Next()
			if err != nil {
				if warden.ErrorCode(err) != warden.EINVALID {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !ok {
				return
			}
			var e warden.Event
			a, err := p.Event(&e)
			if err != nil {
				if warden.ErrorCode(err) != warden.EINVALID {
					t.Fatalf("error %v", err)
				}
				continue
			}
			if e.RawID == "" || e.Time.IsZero() || e.Source != Source {
				t.Fatalf("event without id, time or source: %+v", e)
			}
			if a.Identity != nil && a.Identity.Validate() != nil {
				t.Fatalf("identity %+v is not valid", a.Identity)
			}
			if a.Credential != nil && a.Credential.Credential.Validate() != nil {
				t.Fatalf("credential %+v is not valid", a.Credential)
			}
		}
	})
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// idView is the golden form of an identity: what the importer sets, so
// that a field added to the domain does not churn the golden file.
func idView(i *warden.Identity) any {
	if i == nil {
		return nil
	}
	return map[string]any{"kind": i.Kind, "provider": i.Provider, "external_id": i.ExternalID, "name": i.Name, "labels": i.Labels}
}
