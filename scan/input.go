package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// DefaultMaxFileSize is the size above which files are skipped.
const DefaultMaxFileSize = 10 << 20

// binarySniff is how much of a file is checked for NUL bytes, as git does.
const binarySniff = 8000

// Skip records an input that was not scanned, and why.
type Skip struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Options tune how inputs are read.
type Options struct {
	// MaxFileSize skips larger files; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Workers scan files in parallel; 0 means GOMAXPROCS.
	Workers int
}

// Result is the outcome of a scan: findings ordered by file, commit and
// position, the inputs skipped, and how many bytes were scanned.
type Result struct {
	Findings []Finding `json:"findings"`
	Skipped  []Skip    `json:"skipped"`
	Files    int       `json:"files"`
	Bytes    int64     `json:"bytes"`
}

// ScanPaths scans files and directory trees (recursively, not following
// symbolic links, skipping .git directories). Binary files and files over
// the size limit are skipped with a reason. Reported paths are as given
// joined with the path inside each directory, with '/' separators.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string, opts Options) (*Result, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files := make(chan string, 256)
	var (
		mu  sync.Mutex
		res = &Result{}
		wg  sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st state
			var buf []byte
			var out []Finding
			for path := range files {
				var skip string
				var n int64
				out, buf, n, skip = s.scanFile(path, opts.MaxFileSize, &st, buf, out[:0])
				mu.Lock()
				if skip != "" {
					res.Skipped = append(res.Skipped, Skip{File: filepath.ToSlash(path), Reason: skip})
				} else {
					res.Files++
					res.Bytes += n
					res.Findings = append(res.Findings, out...)
				}
				mu.Unlock()
			}
		}()
	}
	walkErr := walk(ctx, paths, files)
	close(files)
	wg.Wait()
	if walkErr != nil {
		return nil, walkErr
	}
	SortFindings(res.Findings)
	sort.Slice(res.Skipped, func(i, j int) bool { return res.Skipped[i].File < res.Skipped[j].File })
	return res, nil
}

// walk sends every regular file under paths to files.
func walk(ctx context.Context, paths []string, files chan<- string) error {
	for _, root := range paths {
		info, err := os.Lstat(root)
		if err != nil {
			return fmt.Errorf("scan %s: %w", root, err)
		}
		if !info.IsDir() {
			files <- root
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("scan %s: %w", path, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if d.Name() == ".git" && path != root {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files <- path
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// scanFile reads and scans one file, reusing buf. It returns the findings,
// the buffer, the bytes scanned, and a reason when the file was skipped.
func (s *Scanner) scanFile(path string, limit int64, st *state, buf []byte, out []Finding) ([]Finding, []byte, int64, string) {
	f, err := os.Open(path)
	if err != nil {
		return out, buf, 0, "unreadable: " + err.Error()
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return out, buf, 0, "unreadable: " + err.Error()
	}
	if !info.Mode().IsRegular() {
		return out, buf, 0, "not a regular file"
	}
	if info.Size() > limit {
		return out, buf, 0, fmt.Sprintf("too large: %d bytes (limit %d)", info.Size(), limit)
	}
	if int64(cap(buf)) < info.Size()+1 {
		buf = make([]byte, 0, info.Size()+512)
	}
	n, err := io.ReadFull(f, buf[:info.Size()])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return out, buf, 0, "unreadable: " + err.Error()
	}
	data := buf[:n]
	if isBinary(data) {
		return out, buf, 0, "binary"
	}
	return s.scan(data, Loc{File: filepath.ToSlash(path)}, st, out), buf, int64(n), ""
}

// isBinary reports a NUL byte in the first binarySniff bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniff)], 0) >= 0
}

// readChunk is how much of a stream is scanned at a time.
const readChunk = 4 << 20

// ScanReader scans a stream (standard input, a CI log) chunk by chunk with
// memory bounded by the chunk size, reporting findings under the name.
// Chunks end at a line break; a private key block that would straddle two
// chunks is carried over whole into the next one.
func (s *Scanner) ScanReader(r io.Reader, name string) (*Result, error) {
	res := &Result{Files: 1}
	var st state
	buf := make([]byte, 0, readChunk)
	line := 1
	eof := false
	for !eof {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			eof = true
		} else if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		cut := len(buf)
		if !eof {
			cut = chunkEnd(buf)
		}
		chunk := buf[:cut]
		if isBinary(chunk) && line == 1 {
			res.Skipped = append(res.Skipped, Skip{File: name, Reason: "binary"})
			res.Files = 0
			return res, nil
		}
		res.Findings = s.scan(chunk, Loc{File: name, FirstLine: line}, &st, res.Findings)
		res.Bytes += int64(len(chunk))
		line += bytes.Count(chunk, []byte{'\n'})
		rest := copy(buf, buf[cut:])
		buf = buf[:rest]
		if !eof && rest == cap(buf) { // one line longer than a chunk
			buf = append(buf, make([]byte, readChunk)...)[:rest]
		}
	}
	SortFindings(res.Findings)
	return res, nil
}

// chunkEnd picks where to cut a full buffer: after its last line break,
// or before an unterminated private-key block near its end.
func chunkEnd(buf []byte) int {
	cut := bytes.LastIndexByte(buf, '\n') + 1
	if cut == 0 {
		return len(buf)
	}
	tail := buf[max(0, cut-maxKeyBlock):cut]
	if b := bytes.LastIndex(tail, []byte("-----BEGIN ")); b >= 0 && !bytes.Contains(tail[b:], []byte("-----END ")) {
		if start := cut - len(tail) + b; start > 0 {
			cut = bytes.LastIndexByte(buf[:start], '\n') + 1
			if cut == 0 {
				cut = len(buf)
			}
		}
	}
	return cut
}

// SortFindings orders findings by file, commit, line and column, then rule.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
}
