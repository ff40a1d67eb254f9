package monitor

import (
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// testConfig learns for a day and at least 20 events, so that the
// two-day sequences under testdata/sequences end with a learned baseline.
func testConfig() Config {
	return Config{LearningPeriod: 24 * time.Hour, MinLearningEvents: 20, MinRateHours: 12, RateMinEvents: 50}
}

// readSequence reads a file of testdata/sequences into memory.
func readSequence(tb testing.TB, name string) []*warden.Event {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "sequences", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []*warden.Event
	if err := ReadEvents(f, name, func(e *warden.Event) error { cp := *e; out = append(out, &cp); return nil }); err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	return out
}

// run feeds events through a fresh engine and returns its detections.
func run(cfg Config, events []*warden.Event) []*warden.Detection {
	en := NewEngine(cfg)
	var out []*warden.Detection
	for _, e := range events {
		out = append(out, en.Observe(e)...)
	}
	return append(out, en.Flush()...)
}

// summary renders detections as "detector severity identity-tail", sorted.
func summary(ds []*warden.Detection) []string {
	out := []string{}
	for _, d := range ds {
		id := d.Identity
		if i := strings.LastIndexAny(id, "/:"); i >= 0 {
			id = id[i+1:]
		}
		out = append(out, d.Detector+" "+string(d.Severity)+" "+id)
	}
	slices.Sort(out)
	return out
}

// learningEnd is when the sequences' learning history ends (see
// testdata/gen_sequences.py): nothing benign may be detected after it.
var learningEnd = time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)

func TestDetectors_Sequences(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		// CloudTrail: positives.
		{"cloudtrail-off-workload.jsonl", []string{"new-source-network medium orders-api", "new-user-agent low orders-api", "off-workload-credential critical orders-api"}},
		{"cloudtrail-new-network.jsonl", []string{"new-source-network medium metrics-pusher", "new-user-agent low metrics-pusher"}},
		{"cloudtrail-rate-spike.jsonl", []string{"rate-spike medium metrics-pusher"}},
		{"cloudtrail-bulk-secrets.jsonl", []string{"bulk-secret-reads high ci-deployer"}},
		{"cloudtrail-denied-probing.jsonl", []string{"access-denied-probing medium report-exporter"}},
		{"cloudtrail-dormant.jsonl", []string{"dormant-identity-active medium legacy-ftp-bridge"}},
		{"cloudtrail-console.jsonl", []string{"human-use medium svc-reporting"}},
		{"cloudtrail-persistence.jsonl", []string{"persistence high ci-deployer", "persistence high ci-deployer"}},
		{"cloudtrail-tampering.jsonl", []string{"audit-log-tampering critical ci-deployer", "audit-log-tampering critical ci-deployer"}},
		// CloudTrail: negatives.
		{"cloudtrail-benign-churn.jsonl", nil},
		{"cloudtrail-denied-retry.jsonl", nil},
		{"cloudtrail-weekly.jsonl", nil},
		{"cloudtrail-trail-reads.jsonl", nil},
		// Terraform attaching policies: only its very first binding ever is new.
		{"cloudtrail-terraform-routine.jsonl", []string{"persistence high terraform-apply"}},
		// Kubernetes: controllers and rollouts (argo's first binding ever is
		// flagged while learning; nothing after), then a stolen pod token.
		{"k8s-controller-churn.jsonl", []string{"persistence high argocd-application-controller"}},
		{"k8s-token-theft.jsonl", []string{
			"bulk-secret-reads high invoice-worker", "new-source-network medium invoice-worker", "new-user-agent low invoice-worker",
			"off-workload-credential critical invoice-worker", "persistence high argocd-application-controller", "persistence high invoice-worker"}},
		// GitHub: a release bot's routine, then its token misused (the
		// app's installation token: principal app/<slug>).
		{"github-bot-routine.jsonl", nil},
		{"github-bot-hijack.jsonl", []string{"audit-log-tampering critical nw-release-bot", "human-use medium nw-release-bot",
			"new-user-agent low nw-release-bot", "persistence high nw-release-bot"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".jsonl"), func(t *testing.T) {
			got := run(testConfig(), readSequence(t, tt.file))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if g := summary(got); !slices.Equal(g, want) {
				for _, d := range got {
					t.Logf("%s %s %s: %s %v", d.Time.Format(time.RFC3339), d.Detector, d.Severity, d.Explanation, d.EventIDs)
				}
				t.Fatalf("detections = %q\nwant %q", g, want)
			}
			for _, d := range got {
				checkDetection(t, d)
				if strings.Contains(tt.file, "churn") && !d.Time.Before(learningEnd) {
					t.Errorf("benign churn after learning raised %s: %s", d.Detector, d.Explanation)
				}
			}
		})
	}
}

// checkDetection checks what every detection must carry.
func checkDetection(t *testing.T, d *warden.Detection) {
	t.Helper()
	if err := d.Validate(); err != nil {
		t.Errorf("%s: %v", d.Detector, err)
	}
	det := DetectorByID(d.Detector)
	if det == nil || !strings.HasPrefix(d.Technique, "T1") || !strings.HasPrefix(d.OWASP, "NHI") || d.TechniqueName == "" {
		t.Errorf("%s: mapping technique=%q owasp=%q", d.Detector, d.Technique, d.OWASP)
	}
	if last := d.Evidence[len(d.Evidence)-1]; last.RawID != d.EventIDs[len(d.EventIDs)-1] || !last.Time.Equal(d.Time) {
		t.Errorf("%s: evidence %v does not end with the triggering event %v", d.Detector, last.RawID, d.EventIDs)
	}
	if !strings.Contains(d.Explanation, d.Identity) {
		t.Errorf("%s: explanation %q does not name the identity", d.Detector, d.Explanation)
	}
}

func TestDetectors_OffWorkloadEvidenceNamesBothUses(t *testing.T) {
	events := readSequence(t, "cloudtrail-off-workload.jsonl")
	for _, d := range run(testConfig(), events) {
		if d.Detector != DetOffWorkload {
			continue
		}
		// The last use from the instance, then the first use elsewhere.
		want := []string{events[len(events)-3].RawID, events[len(events)-2].RawID}
		if !slices.Equal(d.EventIDs, want) {
			t.Fatalf("event ids = %v, want %v", d.EventIDs, want)
		}
		for _, s := range []string{"i-0a1b2c3d4e5f60718", "198.51.100.23", "10.20.1.15", "boto3"} {
			if !strings.Contains(d.Explanation, s) {
				t.Errorf("explanation %q lacks %q", d.Explanation, s)
			}
		}
		return
	}
	t.Fatal("no off-workload detection")
}

func TestEngine_LateAndDuplicateEventsSameDetections(t *testing.T) {
	for _, file := range []string{"cloudtrail-off-workload.jsonl", "k8s-token-theft.jsonl", "cloudtrail-denied-probing.jsonl"} {
		t.Run(file, func(t *testing.T) {
			events := readSequence(t, file)
			want := summary(run(testConfig(), events))
			// Swap neighbours less than a minute apart and send a third of
			// the events twice, some of them much later.
			r := rand.New(rand.NewSource(7))
			mixed := slices.Clone(events)
			for i := 1; i < len(mixed); i++ {
				if r.Intn(3) == 0 && mixed[i].Time.Sub(mixed[i-1].Time) < time.Minute {
					mixed[i], mixed[i-1] = mixed[i-1], mixed[i]
				}
			}
			var dup []*warden.Event
			for i, e := range mixed {
				dup = append(dup, e)
				if i%3 == 0 {
					cp := *e
					dup = append(dup, &cp)
				}
				if i%5 == 0 && i > 40 {
					cp := *mixed[i-40]
					dup = append(dup, &cp)
				}
			}
			en := NewEngine(testConfig())
			var got []*warden.Detection
			for _, e := range dup {
				got = append(got, en.Observe(e)...)
			}
			got = append(got, en.Flush()...)
			if g := summary(got); !slices.Equal(g, want) {
				t.Fatalf("with late and duplicate events: %q\nin order: %q", g, want)
			}
			if s := en.Stats(); s.Events != int64(len(events)) || s.Duplicates != int64(len(dup)-len(events)) {
				t.Fatalf("stats = %+v, want %d events and %d duplicates", s, len(events), len(dup)-len(events))
			}
		})
	}
}
