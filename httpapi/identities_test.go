package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestIdentities_CreateAndGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		const arn = "arn:aws:iam::123456789012:role/service-role/payments/deploy"
		var created warden.Identity
		resp := e.admin(t, "POST", "/v1/identities", map[string]any{
			"kind": "cloud_role", "provider": "aws", "external_id": arn, "name": "deploy",
			"owner": "team-payments", "environment": "prod", "labels": map[string]string{"team": "payments"},
			"next_review_at": "2026-01-31T00:00:00Z",
		}, http.StatusCreated, &created)
		if created.ID == "" || !created.Managed || created.Status != warden.StatusActive || created.Owner != "team-payments" {
			t.Fatalf("created = %+v", created)
		}
		if got, want := resp.Header.Get("Location"), "/v1/identities/"+created.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if created.NextReviewAt == nil || !created.NextReviewAt.Equal(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("next_review_at = %v", created.NextReviewAt)
		}

		for _, tc := range []struct{ name, path string }{
			{"ByID", "/v1/identities/" + created.ID},
			{"ByLocation", resp.Header.Get("Location")},
			{"ByEscapedARN", "/v1/identities/" + url.PathEscape(arn)},
			{"ByEscapedARNAndProvider", "/v1/identities/" + url.PathEscape(arn) + "?provider=aws"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got warden.Identity
				e.admin(t, "GET", tc.path, nil, http.StatusOK, &got)
				if got.ID != created.ID || got.ExternalID != arn || got.Labels["team"] != "payments" {
					t.Errorf("got %+v", got)
				}
			})
		}
		t.Run("WrongProvider", func(t *testing.T) {
			e.admin(t, "GET", "/v1/identities/"+url.PathEscape(arn)+"?provider=gcp", nil, http.StatusNotFound, nil)
		})
		t.Run("ManagedFalse", func(t *testing.T) {
			var got warden.Identity
			e.admin(t, "POST", "/v1/identities", `{"kind":"bot","provider":"github","external_id":"dependabot","name":"dependabot","managed":false}`, http.StatusCreated, &got)
			if got.Managed {
				t.Errorf("managed = true, want false")
			}
		})
	})
}

func TestIdentities_ListFiltersAndPaginates(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		for i := range 12 {
			body := map[string]any{
				"kind": "service_account", "provider": "kubernetes",
				"external_id": fmt.Sprintf("system:serviceaccount:payments:sa-%02d", i),
				"name":        fmt.Sprintf("sa-%02d", i),
				"environment": []string{"prod", "dev"}[i%2],
				"labels":      map[string]string{"tier": []string{"web", "db", "batch"}[i%3]},
			}
			if i%4 != 0 {
				body["owner"] = "team-payments"
			}
			if i == 5 {
				body["managed"] = false
			}
			e.admin(t, "POST", "/v1/identities", body, http.StatusCreated, nil)
		}
		e.admin(t, "POST", "/v1/identities", `{"kind":"cloud_role","provider":"aws","external_id":"arn:aws:iam::1:role/x","name":"other"}`, http.StatusCreated, nil)

		names := func(items []*warden.Identity) []string {
			var out []string
			for _, i := range items {
				out = append(out, i.Name)
			}
			return out
		}
		for _, tc := range []struct {
			name  string
			query string
			want  []string
		}{
			{"Kind", "kind=cloud_role", []string{"other"}},
			{"Provider", "provider=aws", []string{"other"}},
			{"Unowned", "unowned=true&provider=kubernetes&sort=name", []string{"sa-00", "sa-04", "sa-08"}},
			{"Owner", "owner=team-payments&environment=prod&sort=name", []string{"sa-02", "sa-06", "sa-10"}},
			{"ManagedFalse", "managed=false", []string{"sa-05"}},
			{"LabelValue", "label=tier=db&sort=name", []string{"sa-01", "sa-04", "sa-07", "sa-10"}},
			{"LabelKeyOnly", "label=tier&environment=dev&owner=team-payments&sort=name", []string{"sa-01", "sa-03", "sa-05", "sa-07", "sa-09", "sa-11"}},
			{"LabelAndLabel", "label=tier=db&label=tier=db&environment=prod&sort=name", []string{"sa-04", "sa-10"}},
			{"Search", "q=SA-1", []string{"sa-10", "sa-11"}},
			{"SortDescending", "provider=kubernetes&sort=-name&limit=2", []string{"sa-11", "sa-10"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var page listResponse[*warden.Identity]
				e.admin(t, "GET", "/v1/identities?"+tc.query, nil, http.StatusOK, &page)
				if got := names(page.Items); !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}

		t.Run("CursorPagination", func(t *testing.T) {
			var all []string
			path := "/v1/identities?provider=kubernetes&sort=name&limit=5"
			pages := 0
			for {
				var page listResponse[*warden.Identity]
				e.admin(t, "GET", path, nil, http.StatusOK, &page)
				pages++
				all = append(all, names(page.Items)...)
				if page.NextCursor == "" {
					break
				}
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				path = "/v1/identities?provider=kubernetes&sort=name&limit=5&cursor=" + url.QueryEscape(page.NextCursor)
			}
			if pages != 3 || len(all) != 12 || !slices.IsSorted(all) || all[0] != "sa-00" || all[11] != "sa-11" {
				t.Errorf("%d pages: %v", pages, all)
			}
		})

		t.Run("EmptyResultIsEmptyArray", func(t *testing.T) {
			resp := e.admin(t, "GET", "/v1/identities?owner=nobody", nil, http.StatusOK, nil)
			if got := string(resp.body); got != `{"items":[],"next_cursor":""}`+"\n" {
				t.Errorf("body = %s", got)
			}
		})
	})
}

func TestIdentities_UpdateAndDeprovision(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		const extID = "projects/acme/serviceAccounts/ci@acme.iam.gserviceaccount.com"
		var id warden.Identity
		e.admin(t, "POST", "/v1/identities", map[string]any{
			"kind": "service_account", "provider": "gcp", "external_id": extID, "name": "ci",
			"next_review_at": "2026-03-01T00:00:00Z", "labels": map[string]string{"a": "1"},
		}, http.StatusCreated, &id)
		ref := "/v1/identities/" + url.PathEscape(extID)

		var got warden.Identity
		e.admin(t, "PATCH", ref, `{"owner":"team-ci","labels":{"b":"2"},"status":"quarantined","status_reason":"leak"}`, http.StatusOK, &got)
		if got.Owner != "team-ci" || len(got.Labels) != 1 || got.Labels["b"] != "2" || got.Status != warden.StatusQuarantined || got.StatusReason != "leak" {
			t.Errorf("after owner/labels/status update: %+v", got)
		}
		if got.NextReviewAt == nil {
			t.Fatal("next_review_at was cleared by an update that did not name it")
		}

		e.admin(t, "PATCH", "/v1/identities/"+id.ID, `{"next_review_at":null}`, http.StatusOK, &got)
		if got.NextReviewAt != nil {
			t.Errorf("next_review_at = %v after null, want cleared", got.NextReviewAt)
		}
		e.admin(t, "PATCH", ref, `{"next_review_at":"2027-01-01T12:00:00+02:00","managed":false}`, http.StatusOK, &got)
		if got.NextReviewAt == nil || !got.NextReviewAt.Equal(time.Date(2027, 1, 1, 10, 0, 0, 0, time.UTC)) || got.Managed {
			t.Errorf("next_review_at = %v, managed = %v", got.NextReviewAt, got.Managed)
		}
		e.admin(t, "GET", ref, nil, http.StatusOK, &got)
		if got.Owner != "team-ci" || got.NextReviewAt == nil {
			t.Errorf("reloaded: %+v", got)
		}

		var cred warden.Credential
		e.admin(t, "POST", ref+"/credentials", `{"type":"private_key","public_id":"key-1"}`, http.StatusCreated, &cred)

		e.admin(t, "POST", ref+"/deprovision", `{"reason":"service retired"}`, http.StatusOK, &got)
		if got.Status != warden.StatusDeprovisioned {
			t.Errorf("status = %s, want deprovisioned", got.Status)
		}
		e.admin(t, "GET", "/v1/credentials/"+cred.ID, nil, http.StatusOK, &cred)
		if cred.Status != warden.CredentialRevoked {
			t.Errorf("credential status = %s after deprovision, want revoked", cred.Status)
		}
		// A deprovisioned identity cannot change.
		e.admin(t, "PATCH", ref, `{"owner":"someone"}`, http.StatusConflict, nil)

		t.Run("DeprovisionWithoutBody", func(t *testing.T) {
			var other warden.Identity
			e.admin(t, "POST", "/v1/identities", `{"kind":"bot","provider":"slack","external_id":"B01","name":"bot"}`, http.StatusCreated, &other)
			resp := e.do(t, request{method: "POST", path: "/v1/identities/" + other.ID + "/deprovision", token: e.tokens[warden.RoleOperator]})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d; body %s", resp.StatusCode, resp.body)
			}
		})
	})
}
