// Package discover holds what the importers of outside exports and logs
// share: opening (possibly gzip-compressed) input with a size limit,
// errors that name the input and the record, and the batching sinks that
// store parsed inventory and activity through warden's services.
//
// Each source has its own sub-package (aws, k8s, github, x509) with a pure
// streaming parser and a thin warden.Importer on top of it.
package discover

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
)

// DefaultMaxInputBytes bounds how much (decompressed) input one import
// reads; a larger input is ETOOLARGE rather than unbounded work.
const DefaultMaxInputBytes = 4 << 30

// Open returns a reader over r's content, transparently decompressing
// gzip (recognised by its magic bytes), that fails with ETOOLARGE after
// max bytes (0 means DefaultMaxInputBytes). The result is buffered, so
// callers may Peek it.
func Open(r io.Reader, ref string, max int64) (*bufio.Reader, error) {
	if max <= 0 {
		max = DefaultMaxInputBytes
	}
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	var src io.Reader = br
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, Malformed(ref, 0, "not a valid gzip stream: %v", err)
		}
		zr.Multistream(true)
		src = &gzipErrors{r: zr, ref: ref}
	}
	return bufio.NewReaderSize(&limitReader{r: src, left: max, max: max, ref: ref}, 64<<10), nil
}

// gzipErrors turns a corrupt gzip stream into an EINVALID error.
type gzipErrors struct {
	r   io.Reader
	ref string
}

func (g *gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF && !isDomainError(err) {
		err = Malformed(g.ref, 0, "corrupt gzip data: %v", err)
	}
	return n, err
}

// limitReader fails with ETOOLARGE once more than max bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
	max  int64
	ref  string
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, warden.Errorf(warden.ETOOLARGE, "%s: the input is larger than %d bytes (after decompression)", l.ref, l.max)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Malformed returns the EINVALID error for bad input: it names the input
// and, when record > 0, the 1-based record number.
func Malformed(ref string, record int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if record > 0 {
		return warden.Errorf(warden.EINVALID, "%s: record %d: %s", ref, record, msg)
	}
	return warden.Errorf(warden.EINVALID, "%s: %s", ref, msg)
}

// DecodeError describes a JSON decoding failure of record n of ref. Errors
// from the reader (size limit, corrupt gzip) pass through unchanged.
func DecodeError(ref string, record int, offset int64, err error) error {
	if isDomainError(err) {
		return err
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var scan *SyntaxError
	switch {
	case errors.As(err, &scan):
		return Malformed(ref, record, "%s", scan.Error())
	case errors.As(err, &syntax):
		return Malformed(ref, record, "malformed JSON at byte offset %d: %s", syntax.Offset, trimJSON(syntax.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(record)"
		}
		return Malformed(ref, record, "field %s must not be a JSON %s (byte offset %d)", field, typ.Value, typ.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Malformed(ref, record, "the input ends in the middle of a JSON value (byte offset %d)", offset)
	}
	if offset > 0 {
		return Malformed(ref, record, "cannot decode JSON at byte offset %d: %s", offset, trimJSON(err.Error()))
	}
	return Malformed(ref, record, "%s", trimJSON(err.Error()))
}

func trimJSON(s string) string {
	const prefix = "json: "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

func isDomainError(err error) bool {
	var e *warden.Error
	return errors.As(err, &e)
}

// FirstByte returns the first byte of r that is not JSON white space, or 0
// at the end of the input, without consuming it.
func FirstByte(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err == io.EOF {
			return 0, nil
		} else if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, r.UnreadByte()
	}
}
