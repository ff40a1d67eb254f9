package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

// recorder is a canned server that remembers the last request it saw.
type recorder struct {
	mu      sync.Mutex
	method  string
	rawPath string
	query   map[string][]string
	auth    string
	body    []byte
}

func (rec *recorder) record(r *http.Request) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.method = r.Method
	rec.rawPath = r.URL.EscapedPath()
	rec.query = r.URL.Query()
	rec.auth = r.Header.Get("Authorization")
	rec.body, _ = io.ReadAll(r.Body)
}

func newServer(t *testing.T, handler http.HandlerFunc) (*client.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "s3cret-token")
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestNew_RejectsBadAddresses(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:8080", "ftp://host", "http://", "http://u:p@host", "http://host/?x=1"} {
		if _, err := client.New(addr, ""); err == nil {
			t.Errorf("New(%q) succeeded, want error", addr)
		}
	}
}

func TestFindIdentityByRef_EscapesARNAndSendsToken(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, warden.Identity{ID: "id-1", Name: "deploy"})
	})
	arn := "arn:aws:iam::402118867530:role/ci/github-deploy"
	got, err := c.FindIdentityByRef(context.Background(), arn, warden.ProviderAWS)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "id-1" {
		t.Errorf("ID = %q", got.ID)
	}
	if want := "/v1/identities/arn:aws:iam::402118867530:role%2Fci%2Fgithub-deploy"; rec.rawPath != want {
		t.Errorf("path = %q, want %q", rec.rawPath, want)
	}
	if rec.query["provider"][0] != "aws" {
		t.Errorf("provider query = %v", rec.query["provider"])
	}
	if rec.auth != "Bearer s3cret-token" {
		t.Errorf("Authorization = %q", rec.auth)
	}
}

func TestFindIdentities_EncodesFilter(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"items": []any{}, "next_cursor": ""})
	})
	managed := false
	_, _, err := c.FindIdentities(context.Background(), warden.IdentityFilter{
		Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, Unowned: true,
		Status: warden.StatusActive, Environment: "prod", Managed: &managed,
		Labels: map[string]string{"team": "payments", "pci": ""},
		Query:  "deploy", Sort: "-last_used_at", Cursor: "abc", Limit: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"kind": "cloud_role", "provider": "aws", "unowned": "true", "status": "active",
		"environment": "prod", "managed": "false", "q": "deploy", "sort": "-last_used_at",
		"cursor": "abc", "limit": "20",
	}
	for k, v := range want {
		if got := strings.Join(rec.query[k], ","); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if got := strings.Join(rec.query["label"], ","); got != "pci,team=payments" {
		t.Errorf("label query = %q", got)
	}
	if _, ok := rec.query["owner"]; ok {
		t.Error("empty owner was sent")
	}
}

func TestIdentities_FollowsEveryPage(t *testing.T) {
	pages := map[string]struct {
		ids  []string
		next string
	}{
		"":   {[]string{"a", "b"}, "c2"},
		"c2": {[]string{"c", "d"}, "c3"},
		"c3": {[]string{"e"}, ""},
	}
	var calls int
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		p := pages[r.URL.Query().Get("cursor")]
		items := make([]warden.Identity, len(p.ids))
		for i, id := range p.ids {
			items[i] = warden.Identity{ID: id}
		}
		writeJSON(w, 200, map[string]any{"items": items, "next_cursor": p.next})
	})
	var got []string
	for id, err := range c.Identities(context.Background(), warden.IdentityFilter{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id.ID)
	}
	if strings.Join(got, "") != "abcde" || calls != 3 {
		t.Errorf("got %v in %d calls, want a..e in 3", got, calls)
	}

	calls = 0
	for id, err := range c.Identities(context.Background(), warden.IdentityFilter{Limit: 2}) {
		if err != nil || id.ID == "b" {
			break
		}
	}
	if calls != 1 {
		t.Errorf("stopping early made %d calls, want 1", calls)
	}
}

func TestIdentities_RepeatedCursorIsAnError(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"items": []warden.Identity{{ID: "x"}}, "next_cursor": "same"})
	})
	var err error
	n := 0
	for _, e := range c.Identities(context.Background(), warden.IdentityFilter{}) {
		if e != nil {
			err = e
			break
		}
		n++
	}
	if err == nil || n != 2 {
		t.Fatalf("got %d items and err %v, want 2 items then an error", n, err)
	}
}

func TestCreateIdentity_SendsOnlyWritableFields(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, warden.Identity{ID: "new-id", Kind: warden.KindBot, Status: warden.StatusActive})
	})
	id := &warden.Identity{ID: "ignored", Kind: warden.KindBot, Provider: "slack", ExternalID: "B01", Name: "bot", Managed: true}
	if err := c.CreateIdentity(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if id.ID != "new-id" {
		t.Errorf("identity not updated from the response: %+v", id)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.body, &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "created_at", "updated_at"} {
		if _, ok := body[k]; ok {
			t.Errorf("body has server-assigned field %q: %s", k, rec.body)
		}
	}
	if body["managed"] != true || body["external_id"] != "B01" {
		t.Errorf("body = %s", rec.body)
	}
}

func TestUpdateIdentity_SendsOnlySetFieldsAndNullToClearReview(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, warden.Identity{ID: "id-1"})
	})
	owner := ""
	if _, err := c.UpdateIdentityByRef(context.Background(), "id-1", "", warden.IdentityUpdate{Owner: &owner, ClearNextReview: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := string(rec.body), `{"next_review_at":null,"owner":""}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if rec.method != "PATCH" {
		t.Errorf("method = %s", rec.method)
	}
}

func TestErrors_ProblemBecomesWardenError(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"type":"https://warden.dev/problems/invalid","title":"Bad Request","status":400,"detail":"kind \"x\" is not valid","code":"invalid","field":"kind"}`)
	})
	_, _, err := c.FindIdentities(context.Background(), warden.IdentityFilter{Kind: "x"})
	var werr *warden.Error
	if !errors.As(err, &werr) {
		t.Fatalf("err = %T %v, want *warden.Error", err, err)
	}
	if werr.Code != warden.EINVALID || werr.Field != "kind" || werr.Message != `kind "x" is not valid` {
		t.Errorf("err = %+v", werr)
	}
}

func TestErrors_NonProblemBodyGetsCodeFromStatus(t *testing.T) {
	for status, code := range map[int]string{401: warden.EUNAUTHORIZED, 403: warden.EFORBIDDEN, 404: warden.ENOTFOUND, 409: warden.ECONFLICT, 502: warden.EINTERNAL} {
		c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprint(w, "<html>nginx</html>")
		})
		_, err := c.WhoAmI(context.Background())
		if got := warden.ErrorCode(err); got != code {
			t.Errorf("status %d: code %q, want %q (%v)", status, got, code, err)
		}
	}
}

func TestErrors_RedirectIsNotFollowed(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/v1/whoami", http.StatusFound)
	})
	_, err := c.WhoAmI(context.Background())
	if err == nil || !strings.Contains(err.Error(), "elsewhere.example") {
		t.Fatalf("err = %v, want a redirect error naming the target", err)
	}
}

func TestErrors_UnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	c, err := client.New(addr, "t")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.WhoAmI(context.Background())
	var unreachable *client.UnreachableError
	if !errors.As(err, &unreachable) {
		t.Fatalf("err = %T %v, want *UnreachableError", err, err)
	}
	want := "cannot reach warden at " + addr + ": is `warden serve` running? set --server or WARDEN_SERVER"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
}

func TestErrors_Timeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, err := client.New(srv.URL, "t", client.WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.WhoAmI(context.Background())
	var unreachable *client.UnreachableError
	if !errors.As(err, &unreachable) || !unreachable.Timeout {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"id": strings.Repeat("x", 5000)})
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "t", client.WithMaxResponseBytes(1000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WhoAmI(context.Background()); err == nil || !strings.Contains(err.Error(), "1000-byte limit") {
		t.Fatalf("err = %v, want a size-limit error", err)
	}
}

func TestTokens_CreateReturnsSecret(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]any{"token": warden.APIToken{ID: "tok-1", Role: "auditor"}, "secret": "wdn_x"})
	})
	tok, secret, err := c.CreateToken(context.Background(), "ci", warden.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID != "tok-1" || secret != "wdn_x" {
		t.Errorf("got %+v %q", tok, secret)
	}
	if string(rec.body) != `{"name":"ci","role":"auditor"}` {
		t.Errorf("body = %s", rec.body)
	}
}

func TestCredentials_QueryAndCreatePath(t *testing.T) {
	c, rec := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			writeJSON(w, 201, warden.Credential{ID: "cred-1"})
			return
		}
		writeJSON(w, 200, map[string]any{"items": []warden.Credential{{ID: "cred-1"}}, "next_cursor": ""})
	})
	fp := strings.Repeat("ab", 32)
	_, _, err := c.FindCredentials(context.Background(), warden.CredentialFilter{IdentityID: "id-1", Fingerprint: fp, Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rec.query["identity_id"][0] != "id-1" || rec.query["fingerprint"][0] != fp || rec.query["limit"][0] != strconv.Itoa(7) {
		t.Errorf("query = %v", rec.query)
	}
	cred := &warden.Credential{IdentityID: "id/1", Type: warden.CredentialAPIKey, Fingerprint: fp}
	if err := c.CreateCredential(context.Background(), cred); err != nil {
		t.Fatal(err)
	}
	if rec.rawPath != "/v1/identities/id%2F1/credentials" || cred.ID != "cred-1" {
		t.Errorf("path %q, cred %+v", rec.rawPath, cred)
	}
}
