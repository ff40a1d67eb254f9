package scan

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzScan feeds arbitrary data to the engine: it must not panic, and every
// finding must lie inside the data, carry a fingerprint and a preview, and
// never hold a secret longer than 12 bytes in its preview.
func FuzzScan(f *testing.F) {
	s := mustScanner(f)
	for _, r := range s.Rules() {
		for _, p := range r.Positives {
			f.Add([]byte(p))
		}
		for _, n := range r.Negatives {
			f.Add([]byte(n))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fd := range s.Scan(data, Loc{File: "fuzz"}) {
			if fd.Line < 1 || fd.Line > lines || fd.Column < 1 || len(fd.Fingerprint) != 64 || fd.Preview == "" {
				t.Fatalf("bad finding %+v", fd)
			}
			if !strings.Contains(fd.Preview, "****") {
				t.Fatalf("preview %q is not masked", fd.Preview)
			}
		}
	})
}

// FuzzScanPatch feeds arbitrary text to the git patch parser.
func FuzzScanPatch(f *testing.F) {
	s := mustScanner(f)
	f.Add([]byte("\x00commit 0123abcd\x00A <a@b>\x002026-01-02T03:04:05Z\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+token=ghp_nh4s7zy1qXfDxecPMMpmNm0qMfCrb8nOQ13v\n+x\n"))
	f.Add([]byte("diff --git a/b.bin b/b.bin\nBinary files a/b.bin and b/b.bin differ\n@@ -1 +1 @@\n+++ \"b/q\\\"uoted\"\n"))
	f.Add([]byte("@@ -1,2 +99999999999999999999 @@\n+AKIAFAKEBVEPDTBMDE6P\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := s.ScanPatch(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			if fd.Line < 1 || fd.File == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}

// FuzzPublicKeyOf feeds arbitrary armoured blocks to the key parsers
// (PEM, OpenSSH, PuTTY): they must not panic.
func FuzzPublicKeyOf(f *testing.F) {
	f.Add([]byte(testRSAKeyPEM))
	f.Add([]byte(testOpenSSHKey))
	f.Add([]byte(testPuTTYKey))
	f.Add([]byte(testEscapedPKCS8))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ==\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if pub, err := PublicKeyOf(data); err == nil && SPKIFingerprint(pub) == "" {
			t.Fatalf("parsed a key whose SubjectPublicKeyInfo cannot be encoded")
		}
	})
}

// FuzzReadBaseline feeds arbitrary baseline files to the reader.
func FuzzReadBaseline(f *testing.F) {
	f.Add([]byte(`{"rule":"jwt","file":"a","fingerprint":"` + strings.Repeat("a", 64) + `"}` + "\n\n"))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadBaseline(bytes.NewReader(data))
	})
}
