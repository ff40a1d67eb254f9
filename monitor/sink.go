package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/warden-nhi/warden"
)

// Sink receives detections to alert on.
type Sink interface {
	Send(ctx context.Context, d *warden.Detection) error
}

// Alert formats.
const (
	FormatWarden = "warden" // the detection as the API returns it
	FormatOCSF   = "ocsf"   // an OCSF 1.1 Detection Finding
)

// Payload renders a detection in a format.
func Payload(d *warden.Detection, format, productVersion string) ([]byte, error) {
	var v any = d
	if format == FormatOCSF {
		v = OCSFFinding(d, productVersion)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", d.ID, err)
	}
	return b, nil
}

// WriterSink writes one JSON document per line to W (a file, stdout).
type WriterSink struct {
	W              io.Writer
	Format         string // FormatWarden or FormatOCSF
	ProductVersion string
	mu             sync.Mutex
}

// Send writes the detection.
func (s *WriterSink) Send(_ context.Context, d *warden.Detection) error {
	b, err := Payload(d, s.Format, s.ProductVersion)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.W.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write alert: %w", err)
	}
	return nil
}

// LogSink logs each detection at warning level, so that an operator sees
// them in the server log without any alert sink configured.
type LogSink struct{ Logger *slog.Logger }

// Send logs d.
func (s LogSink) Send(_ context.Context, d *warden.Detection) error {
	s.Logger.Warn("detection", "id", d.ID, "detector", d.Detector, "severity", d.Severity, "identity", d.Identity,
		"technique", d.Technique, "responses", d.Responses, "explanation", d.Explanation)
	return nil
}
