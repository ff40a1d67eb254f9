package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServingCert_RefusesBadPairs(t *testing.T) {
	dir := t.TempDir()
	certA, keyA, _ := writeServerCert(t, filepath.Join(mkdir(t, dir, "a")))
	_, keyB, _ := writeServerCert(t, filepath.Join(mkdir(t, dir, "b")))
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ cert, key, want string }{
		"cert without key":  {certA, "", "go together"},
		"key without cert":  {"", keyA, "go together"},
		"key of another":    {certA, keyB, "--tls-cert"},
		"missing cert file": {filepath.Join(dir, "nope.pem"), keyA, "--tls-cert"},
		"not PEM":           {garbage, keyA, "--tls-cert"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := loadServingCert(tc.cert, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A renewed certificate written over the old files is served after the
// next check; a broken write keeps the last good certificate in use.
func TestServingCert_ReloadsChangedFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeServerCert(t, dir)
	c, err := loadServingCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.now = func() time.Time { return now }
	first, _ := c.get(nil)

	// Replace both files with a new pair, as a renewal would, and make the
	// change visible in the modification time.
	newCert, newKey, _ := writeServerCert(t, mkdir(t, dir, "renewed"))
	for src, dst := range map[string]string{newCert: certFile, newKey: keyFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
		later := now.Add(time.Minute)
		if err := os.Chtimes(dst, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := c.get(nil); got != first {
		t.Fatal("the certificate changed before the next check was due")
	}
	now = now.Add(certReloadEvery)
	second, _ := c.get(nil)
	if second == first || string(second.Certificate[0]) == string(first.Certificate[0]) {
		t.Fatal("the renewed certificate was not picked up")
	}

	// A half-written file: the last good certificate stays.
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERT"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	if err := os.Chtimes(certFile, later, later); err != nil {
		t.Fatal(err)
	}
	now = now.Add(certReloadEvery)
	if got, _ := c.get(nil); got != second {
		t.Fatal("a broken certificate file replaced the good one")
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
