package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// The decision endpoint is called once per proxied request, so its
// request and response bodies go through pooled buffers and the request
// is decoded by policy.DecodeRequest (one pass over JSON tokens, no
// reflection) with the same strictness and error texts as decodeStrict.

// bufferPool holds body buffers; buffers that grew past maxPooledBuffer
// are left to the garbage collector.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufferPool.Put(b)
	}
}

// decodeDecisionRequest reads and decodes the body of POST /v1/authorize.
func (s *Server) decodeDecisionRequest(w http.ResponseWriter, r *http.Request) (*policy.Request, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBodyBytes)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, warden.Errorf(warden.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return nil, warden.Errorf(warden.EINVALID, "cannot read request body")
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return nil, warden.Errorf(warden.EINVALID, "request body is empty; send a JSON object")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		if err := checkContentType(ct); err != nil {
			return nil, err
		}
	}
	// DecodeRequest copies what it keeps, so buf can go back to the pool.
	return policy.DecodeRequest(buf.Bytes())
}

// writeDecision writes d as the 200 answer, exactly as writeJSON would.
func writeDecision(w http.ResponseWriter, d *policy.Decision) {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := json.NewEncoder(buf).Encode(d); err != nil {
		// A Decision holds only strings and numbers: it always encodes.
		panic("httpapi: encode decision: " + err.Error())
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// jsonContentType is the Content-Type header value of JSON answers,
// shared so that setting it allocates nothing. Nobody modifies it.
var jsonContentType = []string{"application/json"}
