package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
)

// TestServe_MonitorWiring starts the binary with live monitoring: a
// playbook, a signed webhook to a real local receiver, an OCSF file and a
// watched directory. The instance role's history posted to POST /v1/events
// and the attack dropped into the directory raise the three detections,
// which are listed by the API, delivered signed to the webhook, written as
// OCSF Detection Findings, and the file moves to processed/.
func TestServe_MonitorWiring(t *testing.T) {
	dir := t.TempDir()
	secret := "whsec-3b9a7c1e5d2f4a68"
	var mu sync.Mutex
	var hooks []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !monitor.VerifySignature([]byte(secret), r.Header.Get(monitor.HeaderTimestamp), body, r.Header.Get(monitor.HeaderSignature)) {
			t.Errorf("webhook delivery with a bad signature")
		}
		mu.Lock()
		hooks = append(hooks, string(body))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	secretFile, ocsfFile, watch := filepath.Join(dir, "webhook.secret"), filepath.Join(dir, "findings.ocsf.jsonl"), filepath.Join(dir, "incoming")
	for path, data := range map[string]string{secretFile: secret + "\n", filepath.Join(dir, "playbook.json"): `{"rules":[{"name":"alert","actions":["alert"]}]}`} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(watch, 0o750); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "admin.token")
	srv := startServer(t, filepath.Join(dir, "w.db"), tokenFile, "--playbook", filepath.Join(dir, "playbook.json"),
		"--webhook-url", receiver.URL+"/hooks/warden", "--webhook-secret-file", secretFile, "--ocsf-file", ocsfFile, "--watch-dir", watch,
		"--monitor-learning", "24h", "--monitor-min-events", "20", "--monitor-tick", "100ms")
	token := readToken(t, tokenFile)

	data, err := os.ReadFile(sequence("cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	if err := monitor.ReadEvents(bytes.NewReader(data), "seq", func(e *warden.Event) error {
		b, err := json.Marshal(e)
		lines = append(lines, b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.url+"/v1/events", bytes.NewReader(bytes.Join(lines[:len(lines)-2], []byte("\n"))))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/events: %d %s", resp.StatusCode, body)
	}
	// The attack arrives as a CloudTrail file, written under a dot-name and
	// renamed when complete.
	raw := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	tmp := filepath.Join(watch, ".attack.jsonl")
	if err := os.WriteFile(tmp, []byte(strings.Join(raw[len(raw)-2:], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, filepath.Join(watch, "attack.jsonl")); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	var ds []*warden.Detection
	for {
		req, _ := http.NewRequest("GET", srv.url+"/v1/detections", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Items []*warden.Detection }
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		mu.Lock()
		n := len(hooks)
		mu.Unlock()
		if ds = page.Items; len(ds) == 3 && n == 3 && countLines(t, ocsfFile) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d detections, %d webhooks, %d OCSF lines\n%s", len(ds), n, countLines(t, ocsfFile), srv.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range ds {
		if len(d.Responses) != 1 || d.Responses[0] != "alert" {
			t.Errorf("%s responses %v", d.Detector, d.Responses)
		}
	}
	if _, err := os.Stat(filepath.Join(watch, monitor.ProcessedDir, "attack.jsonl")); err != nil {
		t.Fatalf("watched file not moved to processed/: %v", err)
	}
	f, err := os.Open(ocsfFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var finding struct {
			ClassUID int `json:"class_uid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &finding); err != nil || finding.ClassUID != 2004 {
			t.Fatalf("OCSF line %s: %v", sc.Bytes(), err)
		}
	}
	if log := srv.logText(); !strings.Contains(log, "off-workload-credential") || strings.Contains(log, secret) {
		t.Fatalf("server log should show the detection and never the webhook secret:\n%s", log)
	}
	// The attack's last event waits for the next tick (no newer event
	// follows it); then every event is counted and none is held.
	want := []string{"warden_monitor_detections_total 3", fmt.Sprintf("warden_monitor_events_total %d", len(lines)),
		`warden_monitor_alert_overflows_total{sink="webhook"} 0`, "warden_monitor_held_events 0"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		req, _ = http.NewRequest("GET", srv.url+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(metrics), w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q:\n%s", missing, grepLines(string(metrics), "warden_monitor"))
		}
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

func TestServe_RefusesBadMonitorFlags(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.secret")
	os.WriteFile(short, []byte("abc"), 0o600)
	badPlaybook := filepath.Join(dir, "pb.json")
	os.WriteFile(badPlaybook, []byte(`{"rules":[{"name":"x","actions":["nuke"]}]}`), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"BadPlaybook", []string{"--playbook", badPlaybook}, "rules[0].actions[0]"},
		{"ShortSecret", []string{"--webhook-url", "http://127.0.0.1:1/x", "--webhook-secret-file", short}, "at least 16 bytes"},
		{"SecretWithoutURL", []string{"--webhook-secret-file", short}, "needs --webhook-url"},
		{"BadWebhookFormat", []string{"--webhook-url", "http://127.0.0.1:1/x", "--webhook-format", "cef"}, "--webhook-format"},
		{"WatchDirMissing", []string{"--watch-dir", filepath.Join(dir, "nope")}, "--watch-dir"},
		{"NATSUnreachable", []string{"--nats-url", "nats://127.0.0.1:1"}, "--nats-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "w.db")}, tc.args...)
			_, errOut, code := runWarden(t, args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q, want it to mention %q", code, errOut, tc.want)
			}
		})
	}
}

// TestServe_NATSSubjectFeedsMonitor: with --nats-url, CloudTrail records
// published to the JetStream subject are monitored; the stolen instance
// credential is detected and listed by the API. Skipped when NATS at
// 127.0.0.1:4222 is unreachable, unless CI=true.
func TestServe_NATSSubjectFeedsMonitor(t *testing.T) {
	url := "nats://127.0.0.1:4222"
	nc, err := nats.Connect(url, nats.Timeout(time.Second))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS at %s is unreachable: %v", url, err)
		}
		t.Skipf("NATS at %s is unreachable (%v); set CI=true to fail instead", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	subject, stream := "warden.serve."+id, "WARDEN_SERVE_"+id
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream) })
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin.token")
	srv := startServer(t, filepath.Join(dir, "w.db"), tokenFile, "--nats-url", url, "--nats-subject", subject, "--nats-stream", stream,
		"--monitor-learning", "24h", "--monitor-min-events", "20", "--monitor-tick", "100ms")
	token := readToken(t, tokenFile)

	data, err := os.ReadFile(sequence("cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	for start := 0; start < len(lines); start += 30 {
		if _, err := js.Publish(context.Background(), subject, []byte(strings.Join(lines[start:min(start+30, len(lines))], ""))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", srv.url+"/v1/detections?detector=off-workload-credential", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Items []*warden.Detection }
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if len(page.Items) == 1 && page.Items[0].Identity == "arn:aws:iam::111122223333:role/orders-api" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no off-workload detection from NATS after 30s:\n%s", srv.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// apiCall sends a JSON (or JSON Lines) request to a test server with the
// token and decodes a JSON answer into out, failing unless the status is
// want.
func apiCall(t *testing.T, srv *serverProc, token, method, path, contentType, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// TestServe_E2E_OffWorkloadQuarantineDeniedByAuthorize, through the real
// binary and its HTTP API: a production instance role is permitted by
// policy; its credential is used first from its instance and then from
// another network with another SDK (events posted to /v1/events); the
// off-workload detection's playbook quarantines it, and the following
// POST /v1/authorize for it is denied.
func TestServe_E2E_OffWorkloadQuarantineDeniedByAuthorize(t *testing.T) {
	dir := t.TempDir()
	playbook := filepath.Join(dir, "playbook.json")
	if err := os.WriteFile(playbook, []byte(`{"rules":[{"name":"stolen workload credentials","detectors":["off-workload-credential"],
		"min_severity":"high","select":{"environments":["prod"]},"actions":["alert","quarantine","revoke"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "admin.token")
	srv := startServer(t, filepath.Join(dir, "w.db"), tokenFile, "--playbook", playbook,
		"--monitor-learning", "24h", "--monitor-min-events", "20", "--monitor-tick", "100ms")
	token := readToken(t, tokenFile)
	const role = "arn:aws:iam::111122223333:role/orders-api"
	apiCall(t, srv, token, "POST", "/v1/identities", "application/json",
		`{"kind":"cloud_role","provider":"aws","external_id":"`+role+`","name":"orders-api","owner":"team-orders","environment":"prod"}`, http.StatusCreated, nil)
	var version struct{ Version int }
	apiCall(t, srv, token, "POST", "/v1/policies", "application/json", `{"schema":"entity Bucket;\naction read appliesTo { principal: [Identity], resource: [Bucket], context: {} };\n",
		"policies":{"main.cedar":"permit (principal, action, resource);"}}`, http.StatusCreated, &version)
	apiCall(t, srv, token, "POST", fmt.Sprintf("/v1/policies/%d/activate", version.Version), "application/json", "{}", http.StatusOK, nil)
	authorize := func() string {
		var d struct{ Decision string }
		apiCall(t, srv, token, "POST", "/v1/authorize", "application/json",
			`{"principal":{"type":"Identity","id":"`+role+`"},"action":{"id":"read"},"resource":{"type":"Bucket","id":"nw-orders"}}`, http.StatusOK, &d)
		return d.Decision
	}
	if got := authorize(); got != "allow" {
		t.Fatalf("before: %s, want allow", got)
	}

	data, err := os.ReadFile(sequence("cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := monitor.ReadEvents(bytes.NewReader(data), "seq", func(e *warden.Event) error {
		b, err := json.Marshal(e)
		lines = append(lines, string(b))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var res warden.IngestResult
	apiCall(t, srv, token, "POST", "/v1/events", "application/x-ndjson", strings.Join(lines[:len(lines)-2], "\n"), http.StatusOK, &res)
	if got := authorize(); got != "allow" {
		t.Fatalf("after the routine: %s, want allow", got)
	}
	apiCall(t, srv, token, "POST", "/v1/events", "application/x-ndjson", strings.Join(lines[len(lines)-2:], "\n"), http.StatusOK, &res)
	deadline := time.Now().Add(15 * time.Second)
	for authorize() != "deny" {
		if time.Now().After(deadline) {
			t.Fatalf("the stolen role is still allowed after 15s:\n%s", srv.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var page struct{ Items []*warden.Detection }
	apiCall(t, srv, token, "GET", "/v1/detections?detector=off-workload-credential", "", "", http.StatusOK, &page)
	if len(page.Items) != 1 || !strings.Contains(strings.Join(page.Items[0].Responses, ","), "quarantine") {
		t.Fatalf("off-workload detections %+v", page.Items)
	}
}

// grepLines returns the lines of s containing sub, without comments.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
