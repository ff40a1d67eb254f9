package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/client"
)

// A stand-in for `warden serve` with one unowned identity.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/identities":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"items": []warden.Identity{
				{ID: "0193", Kind: warden.KindCloudUser, Name: "jenkins-deployer"},
			}, "next_cursor": ""})
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"type":"https://warden.dev/problems/not_found","title":"Not Found","status":404,"detail":"identity \"nope\" not found","code":"not_found"}`)
		}
	}))
}

func Example() {
	srv := exampleServer()
	defer srv.Close()

	c, err := client.New(srv.URL, "wdn_example_token")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// Identities follows every page of the result.
	for id, err := range c.Identities(ctx, warden.IdentityFilter{Unowned: true}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(id.Kind, id.Name)
	}

	// API errors carry warden's error codes.
	_, err = c.FindIdentityByRef(ctx, "nope", "")
	fmt.Println(warden.ErrorCode(err), warden.ErrorMessage(err))
	// Output:
	// cloud_user jenkins-deployer
	// not_found identity "nope" not found
}
