package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFloorHandler_AnswersLikeTheDecisionEndpoint(t *testing.T) {
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/healthz", "", http.StatusOK, `{"status":"ok"}`},
		{"POST", "/v1/authorize", `{"principal":{"type":"Identity","id":"x"}}`, http.StatusOK, floorResponse},
		{"GET", "/v1/authorize", "", http.StatusMethodNotAllowed, ""},
		{"GET", "/v1/identities", "", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if c.want != "" && string(got) != c.want {
			t.Errorf("%s %s: body %q, want %q", c.method, c.path, got, c.want)
		}
	}
}
