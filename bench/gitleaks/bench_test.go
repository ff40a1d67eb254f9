package gitleaks

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fatih/semgroup"
	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/scan/scantest"
)

// treeBytes is the size of the generated tree both scanners read.
const treeBytes = 52 << 20

var (
	treeOnce sync.Once
	treeDir  string
	treeStat scantest.TreeStats
	treeErr  error
)

func tree(b *testing.B) (string, scantest.TreeStats) {
	b.Helper()
	treeOnce.Do(func() {
		treeDir, treeErr = os.MkdirTemp("", "warden-vs-gitleaks-")
		if treeErr == nil {
			treeStat, treeErr = scantest.GenerateTree(treeDir, treeBytes, 42)
		}
	})
	if treeErr != nil {
		b.Fatal(treeErr)
	}
	return treeDir, treeStat
}

func init() { logging.Logger = zerolog.Nop() }

// gitleaksScan runs gitleaks' detect package with its default config over
// dir, as "gitleaks dir" does, with the given number of workers.
func gitleaksScan(tb testing.TB, dir string, workers int) []report.Finding {
	tb.Helper()
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	d.Sema = semgroup.NewGroup(ctx, int64(workers))
	src := &sources.Files{Config: &d.Config, Path: dir, Sema: d.Sema, MaxFileSize: d.MaxTargetMegaBytes * 1_000_000}
	findings, err := d.DetectSource(ctx, src)
	if err != nil {
		tb.Fatal(err)
	}
	return findings
}

// BenchmarkWardenVsGitleaks scans the same generated ≥ 50 MB tree with
// warden and with gitleaks (default config), each on one and on two
// workers, in the same run, and reports MB/s: the ratio is the budget
// (warden ≥ 5× gitleaks on one goroutine).
func BenchmarkWardenVsGitleaks(b *testing.B) {
	dir, st := tree(b)
	s, err := scan.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run("gitleaks/workers="+itoa(workers), func(b *testing.B) {
			b.SetBytes(st.Bytes)
			var n int
			for b.Loop() {
				n = len(gitleaksScan(b, dir, workers))
			}
			b.ReportMetric(float64(n), "findings")
		})
		b.Run("warden/workers="+itoa(workers), func(b *testing.B) {
			b.SetBytes(st.Bytes)
			var n int
			for b.Loop() {
				res, err := s.ScanPaths(context.Background(), []string{dir}, scan.Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				n = len(res.Findings)
			}
			b.ReportMetric(float64(n), "findings")
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// corpusFiles is warden's corpus of realistic files with known secrets.
var corpusFiles = filepath.Join("..", "..", "scan", "testdata", "corpus", "files")

// TestRecall_WardenAtLeastGitleaks scans warden's corpus with both
// scanners and compares recall against the corpus's expected findings
// (those of the golden file, which warden matches exactly): a location
// (file, line) counts as found by a scanner when it reports a secret there.
func TestRecall_WardenAtLeastGitleaks(t *testing.T) {
	s, err := scan.New()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ScanPaths(context.Background(), []string{corpusFiles}, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	expected := map[string]bool{}
	for _, f := range res.Findings {
		rel, _ := filepath.Rel(corpusFiles, filepath.FromSlash(f.File))
		expected[filepath.ToSlash(rel)+":"+itoa3(f.Line)] = true
	}
	if len(expected) < 25 {
		t.Fatalf("only %d expected locations", len(expected))
	}
	gl := map[string]bool{}
	for _, f := range gitleaksScan(t, corpusFiles, 2) {
		rel, _ := filepath.Rel(corpusFiles, f.File)
		gl[filepath.ToSlash(rel)+":"+itoa3(f.StartLine)] = true
	}
	hits := 0
	var missed []string
	for loc := range expected {
		if gl[loc] {
			hits++
		} else {
			missed = append(missed, loc)
		}
	}
	extra := 0
	for loc := range gl {
		if !expected[loc] {
			extra++
			t.Logf("gitleaks reports %s, which warden's golden does not list", loc)
		}
	}
	wardenRecall := 1.0
	gitleaksRecall := float64(hits) / float64(len(expected))
	t.Logf("corpus locations %d: warden recall %.2f, gitleaks recall %.2f (missed %v), gitleaks extra %d", len(expected), wardenRecall, gitleaksRecall, missed, extra)
	if gitleaksRecall > wardenRecall {
		t.Fatalf("gitleaks recall %.2f is above warden's %.2f", gitleaksRecall, wardenRecall)
	}
}

func itoa3(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
