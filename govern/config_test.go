package govern

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestLoadConfig_AppliesOverrides(t *testing.T) {
	f, err := os.Open("testdata/rules-override.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ActivityWindowDays != 14 || cfg.KnownAccounts[0] != "999988887777" || cfg.Environments.Accounts["210987654321"] != "dev" {
		t.Errorf("top-level overrides not applied: %+v", cfg)
	}
	if len(cfg.Environments.ProdWords) == 0 {
		t.Errorf("environment words were dropped by an override that did not name them")
	}
	old := cfg.rule("credential-old")
	if old.Severity != warden.SeverityCritical || old.Params["max_age_days"] != 30 {
		t.Errorf("credential-old = %+v", old)
	}
	if cfg.rule("owner-missing").Enabled {
		t.Errorf("owner-missing still enabled")
	}
	for _, id := range NewEngine(cfg).RuleIDs() {
		if id == "owner-missing" {
			return // disabled rules stay owned by the evaluator, so their findings resolve
		}
	}
	t.Errorf("a disabled rule is no longer among the evaluator's rule ids")
}

func TestLoadConfig_RejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"NotJSON", `rules`, "invalid character"},
		{"UnknownField", `{"rulez": []}`, `unknown field "rulez"`},
		{"UnknownRule", `{"rules": [{"id": "no-such-rule"}]}`, `rules[0].id: unknown rule "no-such-rule"`},
		{"DuplicateRule", `{"rules": [{"id": "owner-missing"}, {"id": "owner-missing"}]}`, "listed twice"},
		{"BadSeverity", `{"rules": [{"id": "owner-missing", "severity": "dire"}]}`, "rules[0].severity"},
		{"UnknownParam", `{"rules": [{"id": "credential-old", "params": {"max_age": 3}}]}`, "rules[0].params.max_age"},
		{"NegativeParam", `{"rules": [{"id": "credential-old", "params": {"max_age_days": -1}}]}`, "credential-old.params.max_age_days must be a positive number"},
		{"BadAccount", `{"known_accounts": ["12345"]}`, "known_accounts[0]"},
		{"BadEnvAccount", `{"environments": {"accounts": {"abc": "prod"}}}`, "environments.accounts"},
		{"ZeroWindow", `{"activity_window_days": 0}`, "activity_window_days"},
		{"TrailingData", `{} {}`, "unexpected data"},
		{"TooLarge", `{"known_accounts": [` + strings.Repeat(`"123456789012",`, 80000) + `"123456789012"]}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaultConfig_IsACopy(t *testing.T) {
	a := DefaultConfig()
	a.Rules[0].Params["x"] = 1
	a.KnownAccounts = append(a.KnownAccounts, "111111111111")
	b := DefaultConfig()
	if _, ok := b.Rules[0].Params["x"]; ok || len(b.KnownAccounts) != 0 {
		t.Fatal("DefaultConfig shares state between calls")
	}
}

// FuzzLoadConfig: any input either loads into a valid configuration or is
// an error; it never panics.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{`{}`, `{"rules":[{"id":"credential-old","params":{"max_age_days":1e400}}]}`, `{"environments":{"accounts":{"402118867530":""}}}`} {
		f.Add([]byte(seed))
	}
	if data, err := os.ReadFile("testdata/rules-override.json"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadConfig(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if verr := cfg.validate(); verr != nil {
			panic(fmt.Sprintf("LoadConfig accepted an invalid configuration: %v", verr))
		}
		NewEngine(cfg).Evaluate(base())
	})
}
