package govern

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestSummarize(t *testing.T) {
	cls := NewClassifier(DefaultConfig().Environments)
	t0 := now.Add(-time.Hour)
	events := []*warden.Event{
		{Time: now.AddDate(0, 0, -60), SourceIP: "192.0.2.1", Session: "old", Interactive: true, Action: "old"}, // before the window
		{Time: t0, SourceIP: "198.51.100.7", Session: "botocore-session-1712345678", Resource: "arn:aws:s3:::northwind-prod-orders/x"},
		{Time: t0.Add(time.Minute), SourceIP: "198.51.100.9", Session: "botocore-session-1712349999", Resource: "arn:aws:s3:::northwind-dev-orders/x"},
		{Time: t0.Add(2 * time.Minute), SourceIP: "2001:db8:1:2::1", Session: "ci-runner-7", Interactive: true, Action: "signin:ConsoleLogin"},
		{Time: t0.Add(3 * time.Minute), SourceIP: "ec2.amazonaws.com", Interactive: true, Action: "signin:ConsoleLogin"},
	}
	a := Summarize(events, now.AddDate(0, 0, -30), cls.Classify)
	if a.Events != 4 || a.Interactive != 2 || len(a.InteractiveActions) != 1 {
		t.Errorf("counts: %+v", a)
	}
	if a.LastUse == nil || !a.LastUse.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("last use = %v", a.LastUse)
	}
	wantSources := []string{"198.51.100.0/24", "2001:db8:1::/48", "ec2.amazonaws.com"}
	if len(a.Sources) != len(wantSources) {
		t.Fatalf("sources = %v, want %v", a.Sources, wantSources)
	}
	for i := range wantSources {
		if a.Sources[i] != wantSources[i] {
			t.Errorf("sources = %v, want %v", a.Sources, wantSources)
		}
	}
	if len(a.Workloads) != 2 || a.Workloads[0] != "botocore-session-#" {
		t.Errorf("workloads = %v", a.Workloads)
	}
	if len(a.Environments) != 2 {
		t.Errorf("environments = %v", a.Environments)
	}
}

func TestClassifier(t *testing.T) {
	env := DefaultConfig().Environments
	env.Accounts = map[string]string{"402118867530": "production", "210987654321": "sandbox"}
	c := NewClassifier(env)
	for name, want := range map[string]string{
		"arn:aws:s3:::northwind-prod-orders":       "prod",
		"/namespaces/staging/secrets/db":           "nonprod",
		"arn:aws:iam::402118867530:root":           "prod",
		"arn:aws:iam::210987654321:role/dev-prod":  "nonprod", // the account decides first
		"arn:aws:s3:::orders":                      "",
		"preprod-cluster":                          "nonprod",
		"arn:aws:dynamodb:eu-west-1:1:table/prodx": "",
		"": "",
	} {
		if got := c.Classify(name); got != want {
			t.Errorf("Classify(%q) = %q, want %q", name, got, want)
		}
	}
}
