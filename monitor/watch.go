package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// DirWatcher ingests activity log files dropped into a directory (by a
// log shipper, an S3 sync, a cron job): CloudTrail or warden-event JSON
// Lines, gzip allowed. Each settled file is checked whole first, so a bad
// record never leaves half a file ingested, then streamed to the Ingester
// in batches and moved to the processed/ sub-directory; a file with bad
// input is moved to failed/ and logged. Files whose name starts with a dot
// are ignored, so a writer can create ".name" and rename it when done.
type DirWatcher struct {
	Dir      string
	Ingester warden.EventIngester
	// Interval (2 s) between scans; Settle (2 s) is how long a file must
	// be left unmodified before it is read.
	Interval time.Duration
	Settle   time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Sub-directories of a watched directory.
const (
	ProcessedDir = "processed"
	FailedDir    = "failed"
)

func (w *DirWatcher) defaults() {
	if w.Interval <= 0 {
		w.Interval = 2 * time.Second
	}
	if w.Settle == 0 {
		w.Settle = 2 * time.Second
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if w.Now == nil {
		w.Now = time.Now
	}
}

// Run scans the directory every Interval until ctx ends.
func (w *DirWatcher) Run(ctx context.Context) {
	w.defaults()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if _, err := w.Scan(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("watched directory", "dir", w.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Scan ingests the settled files of the directory, in name order, and
// returns how many it ingested. Bad files are moved to failed/ and do not
// stop the scan; any other error (storage) does, leaving the file for the
// next scan.
func (w *DirWatcher) Scan(ctx context.Context) (int, error) {
	w.defaults()
	entries, err := os.ReadDir(w.Dir)
	if err != nil {
		return 0, fmt.Errorf("read watched directory: %w", err)
	}
	n := 0
	for _, ent := range entries {
		if !ent.Type().IsRegular() || strings.HasPrefix(ent.Name(), ".") {
			continue
		}
		info, err := ent.Info()
		if err != nil || w.Now().Sub(info.ModTime()) < w.Settle {
			continue
		}
		path := filepath.Join(w.Dir, ent.Name())
		err = w.ingestFile(ctx, path)
		switch code := warden.ErrorCode(err); {
		case err == nil:
			n++
			if err := moveInto(path, ProcessedDir); err != nil {
				return n, err
			}
		case code == warden.EINVALID || code == warden.ETOOLARGE:
			w.Logger.Warn("watched file refused", "file", path, "err", err)
			if err := moveInto(path, FailedDir); err != nil {
				return n, err
			}
		default:
			return n, fmt.Errorf("ingest %s: %w", path, err)
		}
	}
	return n, nil
}

// ingestFile checks the whole file, then ingests it in batches.
func (w *DirWatcher) ingestFile(ctx context.Context, path string) error {
	if err := readFile(path, func(e *warden.Event) error { cp := *e; return CheckEvent(&cp) }); err != nil {
		return err
	}
	batch := make([]*warden.Event, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.Ingester.IngestEvents(ctx, batch)
		batch = batch[:0]
		return err
	}
	err := readFile(path, func(e *warden.Event) error {
		cp := *e
		if batch = append(batch, &cp); len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func readFile(path string, fn func(*warden.Event) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	return ReadEvents(f, path, fn)
}

// moveInto moves path into the sub-directory sub of its directory,
// keeping both files when the name is taken.
func moveInto(path, sub string) error {
	dir := filepath.Join(filepath.Dir(path), sub)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("watched directory: %w", err)
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if _, err := os.Stat(dst); err == nil {
		dst += "." + time.Now().UTC().Format("20060102T150405.000000000")
	}
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("watched directory: %w", err)
	}
	return nil
}
