package scan

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/warden-nhi/warden/scan/scantest"
)

// benchTreeBytes is the size of the generated tree (≥ 50 MB, as the
// performance budget asks).
const benchTreeBytes = 52 << 20

var (
	benchTreeOnce sync.Once
	benchTreeDir  string
	benchTreeStat scantest.TreeStats
	benchTreeErr  error
)

// benchTree generates the benchmark tree once per test binary.
func benchTree(b *testing.B) (string, scantest.TreeStats) {
	b.Helper()
	benchTreeOnce.Do(func() {
		benchTreeDir, benchTreeErr = os.MkdirTemp("", "warden-scan-bench-")
		if benchTreeErr == nil {
			benchTreeStat, benchTreeErr = scantest.GenerateTree(benchTreeDir, benchTreeBytes, 42)
		}
	})
	if benchTreeErr != nil {
		b.Fatal(benchTreeErr)
	}
	return benchTreeDir, benchTreeStat
}

// BenchmarkScanTree scans the generated ≥ 50 MB tree with one and two
// workers and reports MB/s. The baseline in the same run is reading the
// same files without scanning (the I/O floor); gitleaks on the same tree
// is measured by the separate module bench/gitleaks.
func BenchmarkScanTree(b *testing.B) {
	dir, st := benchTree(b)
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ReadOnlyBaseline", func(b *testing.B) {
		b.SetBytes(st.Bytes)
		for b.Loop() {
			readAll(b, dir)
		}
	})
	for _, workers := range []int{1, 2} {
		b.Run("warden/workers="+itoa(workers), func(b *testing.B) {
			b.SetBytes(st.Bytes)
			var found int
			for b.Loop() {
				res, err := s.ScanPaths(context.Background(), []string{dir}, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				found = len(res.Findings)
			}
			if found < st.Secrets {
				b.Fatalf("found %d of %d planted secrets", found, st.Secrets)
			}
			b.ReportMetric(float64(found), "findings")
		})
	}
}

func readAll(b *testing.B, dir string) {
	b.Helper()
	if err := walkFiles(dir, func(path string) {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScanBytes measures the engine alone on one in-memory file of
// typical code, without I/O.
func BenchmarkScanBytes(b *testing.B) {
	dir := b.TempDir()
	st, err := scantest.GenerateTree(dir, 4<<20, 7)
	if err != nil {
		b.Fatal(err)
	}
	var data []byte
	_ = walkFiles(dir, func(path string) {
		d, _ := os.ReadFile(path)
		data = append(data, d...)
	})
	s, _ := New()
	b.SetBytes(int64(len(data)))
	var n int
	for b.Loop() {
		n = len(s.Scan(data, Loc{File: "x"}))
	}
	if n < st.Secrets {
		b.Fatalf("found %d of %d", n, st.Secrets)
	}
}
