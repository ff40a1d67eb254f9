package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// The decision endpoint is called once per proxied request, so its
// request and response bodies go through pooled buffers and the request
// is decoded by policy.DecodeRequest (one pass over JSON tokens, no
// reflection), strictly: exact member names, no unknown or duplicate
// members, errors naming the member.

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
	buf, err := s.readJSONBody(w, r)
	defer putBuffer(buf)
	if err != nil {
		return nil, err
	}
	// DecodeRequest copies what it keeps, so buf can go back to the pool.
	return policy.DecodeRequest(buf.Bytes())
}

// decodeBatchRequest reads and decodes the body of POST
// /v1/authorize/batch: 1 to maxBatch requests.
func (s *Server) decodeBatchRequest(w http.ResponseWriter, r *http.Request) ([]*policy.Request, error) {
	buf, err := s.readJSONBody(w, r)
	defer putBuffer(buf)
	if err != nil {
		return nil, err
	}
	reqs, err := policy.DecodeBatchRequest(buf.Bytes(), maxBatch)
	if err == nil && len(reqs) == 0 {
		err = warden.FieldErrorf("requests", "requests must hold 1-%d decision requests", maxBatch)
	}
	return reqs, err
}

// readJSONBody reads a non-empty JSON body, within the server's size
// limit, into a pooled buffer; the caller returns it with putBuffer.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	buf := getBuffer()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBodyBytes)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return buf, warden.Errorf(warden.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return buf, warden.Errorf(warden.EINVALID, "cannot read request body")
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return buf, warden.Errorf(warden.EINVALID, "request body is empty; send a JSON object")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		if err := checkContentType(ct); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// writeDecision writes d as the 200 answer, byte for byte as writeJSON
// would (TestAppendDecision_SameAsEncodingJSON), without reflection.
func writeDecision(w http.ResponseWriter, d *policy.Decision) {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.Write(append(appendDecision(buf.AvailableBuffer(), d), '\n'))
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// appendDecision appends the JSON of d, as encoding/json marshals it.
func appendDecision(b []byte, d *policy.Decision) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, d.ID)
	b = append(b, `,"decision":`...)
	b = appendJSONString(b, d.Decision)
	b = append(b, `,"policies":`...)
	b = appendJSONStrings(b, d.Policies)
	b = append(b, `,"errors":`...)
	b = appendJSONStrings(b, d.Errors)
	b = append(b, `,"policy_version":`...)
	b = strconv.AppendInt(b, d.PolicyVersion, 10)
	b = append(b, `,"principal":{"type":`...)
	b = appendJSONString(b, d.Principal.Type)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, d.Principal.ID)
	b = append(b, '}')
	if d.IdentityID != "" {
		b = append(b, `,"identity_id":`...)
		b = appendJSONString(b, d.IdentityID)
	}
	if d.WouldDeny {
		b = append(b, `,"would_deny":true`...)
	}
	return append(b, '}')
}

func appendJSONStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string with encoding/json's
// escaping: HTML characters, U+2028/U+2029 and control characters
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonContentType is the Content-Type header value of JSON answers,
// shared so that setting it allocates nothing. Nobody modifies it.
var jsonContentType = []string{"application/json"}
