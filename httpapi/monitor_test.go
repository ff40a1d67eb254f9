package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

const ordersRoleARN = "arn:aws:iam::111122223333:role/orders-api"

// newMonitorEnv serves db with live monitoring on it (pipeline with a
// one-day learning period and immediate release) and one token per role.
func newMonitorEnv(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	cfg := monitor.Config{LearningPeriod: 24 * time.Hour, MinLearningEvents: 20, Lateness: -1, Baselines: db}
	p := &monitor.Pipeline{Engine: monitor.NewEngine(cfg), Activity: db, Detections: db}
	e := &testEnv{db: db, tokens: map[warden.Role]string{}}
	e.srv = New(Config{Identities: db, Credentials: db, Tokens: db, Audit: db, MaxBodyBytes: testMaxBody,
		Monitor: Monitor{Ingester: p, Detections: db, MaxEventBytes: 256 << 10}})
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	for _, role := range warden.Roles {
		_, secret, err := db.CreateToken(context.Background(), "test-"+string(role), role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = secret
	}
	return e
}

// offWorkloadLines is the monitor's off-workload CloudTrail sequence as
// JSON Lines of warden events, split before the last two (the attack).
func offWorkloadLines(t *testing.T) (learning, attack []byte) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "monitor", "testdata", "sequences", "cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	err = monitor.ReadEvents(f, "off-workload", func(e *warden.Event) error {
		b, err := json.Marshal(e)
		lines = append(lines, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n := len(lines) - 2
	return append(bytes.Join(lines[:n], []byte("\n")), '\n'), bytes.Join(lines[n:], []byte("\n"))
}

func (e *testEnv) postEvents(t *testing.T, body []byte, header http.Header) *response {
	t.Helper()
	return e.do(t, request{method: "POST", path: "/v1/events", token: e.tokens[warden.RoleOperator], body: body, contentType: "application/x-ndjson", header: header})
}

// TestMonitorAPI_IngestRaisesAndListsDetections: posting an instance
// role's routine and then its credential used elsewhere raises the
// off-workload detection, listed by identity, detector and severity;
// posting a batch again only counts duplicates.
func TestMonitorAPI_IngestRaisesAndListsDetections(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		e := newMonitorEnv(t, db)
		role := &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: ordersRoleARN, Name: "orders-api"}
		if err := db.CreateIdentity(warden.NewContextWithActor(context.Background(), warden.Actor{Type: "test", ID: "t"}), role); err != nil {
			t.Fatal(err)
		}
		learning, attack := offWorkloadLines(t)
		var res warden.IngestResult
		resp := e.postEvents(t, learning, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("learning: %d %s", resp.StatusCode, resp.body)
		}
		resp.decode(t, &res)
		if res.Events == 0 || res.Detections != 0 {
			t.Fatalf("learning result %+v", res)
		}
		var zipped bytes.Buffer
		zw := gzip.NewWriter(&zipped)
		zw.Write(attack)
		zw.Close()
		resp = e.postEvents(t, zipped.Bytes(), http.Header{"Content-Encoding": {"gzip"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("attack: %d %s", resp.StatusCode, resp.body)
		}
		resp.decode(t, &res)
		if res != (warden.IngestResult{Events: 2, Detections: 3}) {
			t.Fatalf("attack result %+v", res)
		}
		resp = e.postEvents(t, attack, nil)
		resp.decode(t, &res)
		if res != (warden.IngestResult{Duplicates: 2}) {
			t.Fatalf("replayed attack result %+v", res)
		}

		for query, want := range map[string]int{
			"": 3,
			"?identity=" + url.QueryEscape(ordersRoleARN) + "&provider=aws": 3,
			"?detector=off-workload-credential&severity=critical":           1,
			"?severity=high":              1,
			"?until=2026-03-01T00:00:00Z": 0,
		} {
			var page struct {
				Items []*warden.Detection `json:"items"`
			}
			e.do(t, request{method: "GET", path: "/v1/detections" + query, token: e.tokens[warden.RoleAuditor]}).decode(t, &page)
			if len(page.Items) != want {
				t.Errorf("GET /v1/detections%s: %d items, want %d", query, len(page.Items), want)
			}
			for _, d := range page.Items {
				if d.IdentityID != role.ID || d.Identity != ordersRoleARN || len(d.EventIDs) == 0 || d.Technique == "" {
					t.Errorf("detection %+v", d)
				}
			}
		}
	})
}

// forEachDB runs fn on a fresh SQLite store and a fresh PostgreSQL schema.
func forEachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.OpenPostgres(t)) })
}

// TestMonitorAPI_BadInput: bad batches and filters are 4xx problems naming
// the line and field, and nothing of a refused batch is stored.
func TestMonitorAPI_BadInput(t *testing.T) {
	e := newMonitorEnv(t, storetest.OpenSQLite(t))
	good := `{"time":"2026-03-02T00:00:05Z","source":"warden-pdp","raw_id":"d1","principal":"spiffe://northwind/orders"}`
	tests := []struct {
		name        string
		body        string
		contentType string
		encoding    string
		status      int
		field       string
	}{
		{name: "UnknownField", body: good + "\n" + `{"time":"2026-03-02T00:00:06Z","source":"s","raw_id":"r","principal":"p","verb":"get"}`, status: 400, field: "events[1].verb"},
		{name: "WrongType", body: `{"time":"2026-03-02T00:00:06Z","source":"s","raw_id":7,"principal":"p"}`, status: 400, field: "events[0].raw_id"},
		{name: "BadTime", body: `{"time":"yesterday","source":"s","raw_id":"r","principal":"p"}`, status: 400, field: "events[0].time"},
		{name: "MissingPrincipal", body: good + "\n\n" + `{"time":"2026-03-02T00:00:06Z","source":"s","raw_id":"r"}`, status: 400, field: "events[1].principal"},
		{name: "BadOutcome", body: `{"time":"2026-03-02T00:00:06Z","source":"s","raw_id":"r","principal":"p","outcome":"maybe"}`, status: 400, field: "events[0].outcome"},
		{name: "NotAnObject", body: `[1,2]`, status: 400, field: "events[0]"},
		{name: "Empty", body: "\n\n", status: 400},
		{name: "WrongContentType", body: good, contentType: "text/plain", status: 415},
		{name: "UnknownEncoding", body: good, encoding: "br", status: 415},
		{name: "NotGzip", body: good, encoding: "gzip", status: 400},
		{name: "TooLarge", body: strings.Repeat(good+"\n", 3000), status: 413},
		{name: "LineTooLong", body: `{"time":"2026-03-02T00:00:06Z","source":"s","raw_id":"r","principal":"` + strings.Repeat("p", 1<<20) + `"}`, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "application/x-ndjson"
			}
			h := http.Header{}
			if tt.encoding != "" {
				h.Set("Content-Encoding", tt.encoding)
			}
			resp := e.do(t, request{method: "POST", path: "/v1/events", token: e.tokens[warden.RoleAdmin], body: tt.body, contentType: ct, header: h})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; %s", resp.StatusCode, tt.status, resp.body)
			}
			if p := resp.problem(t); p.Field != tt.field {
				t.Fatalf("field %q, want %q (%s)", p.Field, tt.field, p.Detail)
			}
		})
	}
	events, _, err := e.db.FindEvents(context.Background(), warden.EventFilter{})
	if err != nil || len(events) != 0 {
		t.Fatalf("refused batches stored %d events (%v)", len(events), err)
	}
	for query, field := range map[string]string{"?severity=urgent": "severity", "?since=soon": "since", "?provider=aws": "provider", "?detecter=x": "detecter",
		"?identity=nobody": "identity", "?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z": "until"} {
		resp := e.do(t, request{method: "GET", path: "/v1/detections" + query, token: e.tokens[warden.RoleAuditor]})
		if p := resp.problem(t); resp.StatusCode != 400 || p.Field != field {
			t.Errorf("GET /v1/detections%s: %d field %q, want 400 %q", query, resp.StatusCode, p.Field, field)
		}
	}
}
