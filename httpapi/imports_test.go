package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/store/storetest"
)

// newImportServer serves a real SQLite store with the AWS importers and a
// small upload limit, and returns its URL and an operator token.
func newImportServer(t *testing.T) (string, string) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	_, secret, err := db.CreateToken(context.Background(), "op", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Discovery: &Discovery{
			Importers: map[string]warden.Importer{
				"aws-iam":    &aws.IAMImporter{Store: db},
				"cloudtrail": &aws.CloudTrailImporter{Store: db},
			},
			Events:         db,
			MaxImportBytes: 64 << 10,
		},
	}))
	t.Cleanup(srv.Close)
	return srv.URL, secret
}

func TestImports_API(t *testing.T) {
	url, token := newImportServer(t)
	trail, err := os.ReadFile("../testdata/aws/cloudtrail/northwind-2026-02-28.json")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(trail)
	zw.Close()
	post := func(path string, body []byte, header map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	for _, tc := range []struct {
		name       string
		path       string
		body       []byte
		header     map[string]string
		wantStatus int
		want       string
	}{
		{"Plain", "/v1/imports/cloudtrail?name=day1.json", trail, nil, 200, `"created":14`},
		{"GzipIsSame", "/v1/imports/cloudtrail?name=day1.json.gz", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}, 200, `"events":{"created":0,"updated":0,"unchanged":14}`},
		{"Malformed", "/v1/imports/cloudtrail?name=bad.json", []byte(`{"Records":[{"eventID":1}]}`), nil, 400, "bad.json: record 1: field eventID must be a string"},
		{"TooLarge", "/v1/imports/cloudtrail", bytes.Repeat([]byte(" "), 70<<10), nil, 413, "larger than 65536 bytes"},
		{"UnknownSource", "/v1/imports/ldap", trail, nil, 404, `no importer \"ldap\"; use one of aws-iam, cloudtrail`},
		{"BadEncoding", "/v1/imports/cloudtrail", trail, map[string]string{"Content-Encoding": "br"}, 415, "Content-Encoding"},
		{"UnknownParameter", "/v1/imports/cloudtrail?file=x", trail, nil, 400, `unknown query parameter \"file\"`},
		{"LongName", "/v1/imports/cloudtrail?name=" + strings.Repeat("n", 300), trail, nil, 400, `"field":"name"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(tc.path, tc.body, tc.header)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.want) {
				t.Fatalf("status %d body %s; want %d containing %s", resp.StatusCode, body, tc.wantStatus, tc.want)
			}
		})
	}

	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	status, body := get("/v1/events?identity=arn:aws:iam::402118867530:user/shadow-sync&provider=aws&since=2026-02-28T03:13:00Z")
	var page struct {
		Items []warden.Event `json:"items"`
	}
	if err := json.Unmarshal(body, &page); status != 200 || err != nil || len(page.Items) != 1 || page.Items[0].Outcome != warden.OutcomeDeny {
		t.Fatalf("events: status %d body %s", status, body)
	}
	// The same events newest first are the oldest-first list reversed.
	var oldest, newest struct {
		Items []warden.Event `json:"items"`
	}
	for dst, q := range map[*struct {
		Items []warden.Event `json:"items"`
	}]string{&oldest: "", &newest: "&order=newest"} {
		status, body := get("/v1/events?source=cloudtrail&limit=500" + q)
		if err := json.Unmarshal(body, dst); status != 200 || err != nil {
			t.Fatalf("events%s: status %d body %s", q, status, body)
		}
	}
	if n := len(oldest.Items); n < 2 || len(newest.Items) != n || newest.Items[0].ID != oldest.Items[n-1].ID || newest.Items[n-1].ID != oldest.Items[0].ID {
		t.Fatalf("order=newest did not reverse the %d events", n)
	}
	for _, q := range []string{"since=yesterday", "limit=501", "provider=aws", "identity=nobody", "colour=red", "order=sideways"} {
		status, body := get("/v1/events?" + q)
		if status != 400 && status != 404 {
			t.Errorf("GET /v1/events?%s: status %d body %s, want 400 or 404", q, status, body)
		}
	}
}
