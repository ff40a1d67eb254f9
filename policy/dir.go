package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/warden-nhi/warden"
)

// SchemaFileName is the schema file of a policy directory.
const SchemaFileName = "schema.cedarschema"

// LoadDir reads a policy directory: every *.cedar file under it (the
// version's policy files, named by their path relative to dir),
// schema.cedarschema at its top, and disabled-guardrails.txt (one
// guardrail id a line) when present. Test files are read by LoadTests.
func LoadDir(dir string) (*warden.PolicyVersion, error) {
	v := &warden.PolicyVersion{Policies: map[string]string{}, DisabledGuardrails: []string{}}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".cedar") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		v.Policies[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policy directory %s: %w", dir, err)
	}
	schema, err := os.ReadFile(filepath.Join(dir, SchemaFileName))
	if err != nil {
		return nil, fmt.Errorf("read policy directory %s: %w (every policy directory needs a %s)", dir, err, SchemaFileName)
	}
	v.Schema = string(schema)
	if b, err := os.ReadFile(filepath.Join(dir, "disabled-guardrails.txt")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				v.DisabledGuardrails = append(v.DisabledGuardrails, line)
			}
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("read policy directory %s: %w", dir, err)
	}
	if len(v.Policies) == 0 {
		return nil, fmt.Errorf("policy directory %s has no .cedar files", dir)
	}
	return v, nil
}

// testFiles lists the *.json files of dir/tests, sorted.
func testFiles(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "tests", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	return matches, nil
}
