package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/warden-nhi/warden"
)

// Monitor wires behavioural monitoring: POST /v1/events feeds live
// activity to Ingester, GET /v1/detections lists what it raised. A nil
// member makes its route answer 404 naming what is not configured.
type Monitor struct {
	Ingester   warden.EventIngester
	Detections warden.DetectionService
	// MaxEventBytes limits the (uncompressed) body of one POST /v1/events;
	// 0 means DefaultMaxEventBytes.
	MaxEventBytes int64
}

// Limits of POST /v1/events.
const (
	DefaultMaxEventBytes = 16 << 20
	maxEventLine         = 1 << 20
	maxEventBatch        = 10000
)

// eventContentTypes are the media types POST /v1/events accepts: JSON
// Lines under its common names.
var eventContentTypes = map[string]bool{"application/x-ndjson": true, "application/jsonl": true, "application/json": true, "application/x-jsonlines": true}

// handleIngestEvents takes a batch of warden events as JSON Lines (one
// event object per line, blank lines ignored, plain or gzip), decodes each
// strictly and hands the batch to the monitor in one call. Errors name the
// line and field, e.g. "events[3].time"; nothing of a bad batch is kept.
func (s *Server) handleIngestEvents(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.monitor.Ingester == nil {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "live event ingestion is not configured on this server"))
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !eventContentTypes[mt] {
		s.Error(w, r, warden.Errorf(codeUnsupportedMediaType, "Content-Type must be application/x-ndjson (JSON Lines of events)"))
		return
	}
	limit := s.monitor.MaxEventBytes
	if limit <= 0 {
		limit = DefaultMaxEventBytes
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			s.Error(w, r, bodyError(err, limit, "the body is not valid gzip"))
			return
		}
		body = io.LimitReader(zr, limit+1) // the decompressed size is bounded too
	default:
		s.Error(w, r, warden.Errorf(codeUnsupportedMediaType, "Content-Encoding %q is not supported; send the body plain or gzip", clip(enc)))
		return
	}
	events, err := decodeEventLines(body, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(events) == 0 {
		s.Error(w, r, warden.Errorf(warden.EINVALID, "the body holds no events; send JSON Lines, one event per line"))
		return
	}
	res, err := s.monitor.Ingester.IngestEvents(r.Context(), events)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

// decodeEventLines decodes JSON Lines of events strictly (unknown or
// repeated fields, wrong types and trailing data are errors naming
// events[i].field and the line).
func decodeEventLines(body io.Reader, limit int64) ([]*warden.Event, error) {
	counted := &countingReader{r: body}
	sc := bufio.NewScanner(counted)
	sc.Buffer(make([]byte, 64<<10), maxEventLine)
	var events []*warden.Event
	line := 0
	for sc.Scan() {
		line++
		data := bytes.TrimSpace(sc.Bytes())
		if len(data) == 0 {
			continue
		}
		if len(events) == maxEventBatch {
			return nil, warden.FieldErrorf("events", "at most %d events per request", maxEventBatch)
		}
		var e warden.Event
		if err := decodeObject(data, &e, decodeOptions{}); err != nil {
			if err := counted.tooLarge(limit); err != nil {
				return nil, err // the line was cut off by the limit
			}
			at := fmt.Sprintf("events[%d]", len(events))
			if f := warden.ErrorField(err); f != "" {
				at += "." + f
			}
			return nil, warden.FieldErrorf(at, "line %d: %s", line, warden.ErrorMessage(err))
		}
		events = append(events, &e)
	}
	if err := counted.tooLarge(limit); err != nil {
		return nil, err
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, warden.Errorf(warden.ETOOLARGE, "line %d is longer than %d bytes", line+1, maxEventLine)
		}
		return nil, bodyError(err, limit, fmt.Sprintf("cannot read line %d", line+1))
	}
	return events, nil
}

// bodyError turns a body read error into ETOOLARGE past the limit and
// EINVALID otherwise.
func bodyError(err error, limit int64, msg string) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return warden.Errorf(warden.ETOOLARGE, "the body is larger than %d bytes", limit)
	}
	return warden.Errorf(warden.EINVALID, "%s: %v", msg, err)
}

// countingReader counts the bytes read through it and keeps the read
// error, so that a line cut off by the body limit is reported as too
// large rather than as malformed.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// tooLarge is ETOOLARGE once more than limit bytes were read (or the
// body reader refused to go past it), nil before.
func (c *countingReader) tooLarge(limit int64) error {
	var tooLarge *http.MaxBytesError
	if c.n > limit || errors.As(c.err, &tooLarge) {
		return warden.Errorf(warden.ETOOLARGE, "the events are larger than %d bytes", limit)
	}
	return nil
}
