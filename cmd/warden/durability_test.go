package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-nhi/warden/store/storetest"
)

func TestDurability_SIGKILL_SQLite(t *testing.T) {
	testDurability(t, filepath.Join(t.TempDir(), "warden.db"))
}

func TestDurability_SIGKILL_Postgres(t *testing.T) {
	testDurability(t, storetest.PostgresURL(t))
}

// testDurability creates identities from several clients while the server
// is killed with SIGKILL, restarts it on the same database, and checks that
// every create the server acknowledged survived and that the audit chain is
// intact. It does this for three kill/restart rounds.
func testDurability(t *testing.T, dsn string) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	var acked sync.Map // id -> external id
	var total atomic.Int64
	for round := 0; round < 3; round++ {
		srv := startServer(t, dsn, tokenFile)
		token := readToken(t, tokenFile)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				client := &http.Client{Timeout: 5 * time.Second}
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					ext := fmt.Sprintf("system:serviceaccount:durability:r%d-w%d-n%d", round, w, n)
					body, _ := json.Marshal(map[string]any{"kind": "service_account", "provider": "kubernetes", "external_id": ext, "name": ext[len("system:serviceaccount:"):]})
					req, _ := http.NewRequest(http.MethodPost, srv.url+"/v1/identities", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					var created struct {
						ID string `json:"id"`
					}
					if resp.StatusCode == http.StatusCreated && json.NewDecoder(resp.Body).Decode(&created) == nil && created.ID != "" {
						acked.Store(created.ID, ext)
						total.Add(1)
					} else if resp.StatusCode != http.StatusCreated {
						t.Errorf("create %s: status %d", ext, resp.StatusCode)
					}
					resp.Body.Close()
				}
			}(w)
		}
		time.Sleep(time.Duration(700+round*300) * time.Millisecond)
		srv.kill() // SIGKILL while requests are in flight
		close(stop)
		wg.Wait()
	}
	if total.Load() < 20 {
		t.Fatalf("only %d creates were acknowledged: the test proves little", total.Load())
	}

	srv := startServer(t, dsn, tokenFile)
	token := readToken(t, tokenFile)
	missing := 0
	acked.Range(func(id, ext any) bool {
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/v1/identities/"+id.(string), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			missing++
			t.Errorf("acknowledged identity %s (%s) is gone after SIGKILL: status %d", id, ext, resp.StatusCode)
		}
		return missing < 10
	})
	srv.kill()
	out, errOut, code := runWarden(t, "audit", "verify", "--db", dsn)
	if code != 0 {
		t.Fatalf("audit verify after crashes: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("%d acknowledged creates over 3 SIGKILLs all survived; %s", total.Load(), bytes.TrimSpace([]byte(out)))
	_ = os.Remove(tokenFile)
}
