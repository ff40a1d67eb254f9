package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportCmd_X509DirectorySkipsFilesWithoutPEM imports a directory that
// holds, beside a certificate, files that are no PEM at all (a generator
// script, a README): they are skipped with a note, the certificate is
// imported; the same file named explicitly is an error that names it.
func TestImportCmd_X509DirectorySkipsFilesWithoutPEM(t *testing.T) {
	newImportEnv(t)
	dir := t.TempDir()
	cert, err := os.ReadFile("../../testdata/x509/billing-legacy.pem")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"billing.pem": string(cert), "generate.go": "package main\n", "README.md": "# certificates\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, err := runCLI(t, "", "import", "x509", dir)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	for _, skipped := range []string{"generate.go", "README.md"} {
		if !strings.Contains(errOut, "skipped "+filepath.Join(dir, skipped)+": no PEM block") {
			t.Fatalf("%s not reported as skipped: %q", skipped, errOut)
		}
	}
	if !strings.Contains(out, "billing.pem") {
		t.Fatalf("certificate not imported:\n%s", out)
	}
	_, errOut, err = runCLI(t, "", "import", "x509", filepath.Join(dir, "generate.go"))
	if err == nil || !strings.Contains(err.Error()+errOut, "generate.go holds no PEM block") {
		t.Fatalf("explicit non-PEM file: err %v, stderr %q", err, errOut)
	}
}
