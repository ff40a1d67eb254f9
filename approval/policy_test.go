package approval_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden/approval"
)

func TestParse_ErrorsNameThePolicyAndFile(t *testing.T) {
	for name, tc := range map[string]struct {
		text    string
		wantErr string // "" when the text compiles
	}{
		"OK":            {text: `permit (principal, action, resource);`},
		"OKTwoUnnamed":  {text: `permit (principal, action, resource); forbid (principal, action, resource);`},
		"ErrSyntax":     {text: `permit (principal, action resource);`, wantErr: "access policy p.cedar: "},
		"ErrEmpty":      {text: "// nothing but a comment\n", wantErr: "access policy p.cedar has no policies: every request would be denied"},
		"ErrDuplicated": {text: `@id("x") permit (principal, action, resource); @id("x") forbid (principal, action, resource);`, wantErr: `access policy p.cedar: policy id "x" is used twice`},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := approval.Parse("access policy", "p.cedar", []byte(tc.text))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tc.wantErr == "" && p == nil:
				t.Fatal("Parse returned no policy")
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Parse error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParse_PolicyIDsAreAnnotationsOrFileAndIndex(t *testing.T) {
	p, err := approval.Parse("onboarding policy", "ids.cedar", []byte(`
permit (principal, action == Action::"request", resource);
forbid (principal, action == Action::"request", resource);
@id("named") forbid (principal, action == Action::"request", resource);`))
	if err != nil {
		t.Fatal(err)
	}
	v := p.Decide(request(nil))
	if got, want := strings.Join(v.DeterminedBy, " "), "ids.cedar#1 named"; got != want {
		t.Fatalf("DeterminedBy = %q, want %q", got, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.cedar")
	if err := os.WriteFile(good, []byte(`permit (principal, action, resource);`), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.cedar")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		path    string
		wantErr string
	}{
		"OK":         {path: good},
		"ErrMissing": {path: filepath.Join(dir, "missing.cedar"), wantErr: "read access policy: "},
		"ErrEmpty":   {path: empty, wantErr: "access policy " + empty + " has no policies"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := approval.Load("access policy", tc.path)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Load error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
