package discover

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// This file is a small, allocation-light JSON reader for large logs:
// ValueReader cuts a stream into top-level values (the elements of a
// wrapping array, or JSON Lines), and Members walks an object's members
// as raw slices, so a parser can decode the few fields it needs and skip
// the rest at memory speed. encoding/json decodes every byte of every
// field through reflection, which costs most of a CloudTrail import.

// errSyntax is the cause of malformed-JSON errors from this file.
var errSyntax = errors.New("malformed JSON")

// SyntaxError is malformed JSON at an offset of the value being read.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at offset %d: %s", e.Offset, e.Msg)
}
func (e *SyntaxError) Unwrap() error { return errSyntax }

// ValueReader reads complete top-level JSON values from a stream, one at a
// time, into a reused buffer.
type ValueReader struct {
	r   *bufio.Reader
	buf []byte
	// InArray is true while reading the elements of an array whose '['
	// was consumed: values are then separated by ',' and end at ']'.
	InArray bool
}

// NewValueReader returns a reader of the values in r.
func NewValueReader(r *bufio.Reader) *ValueReader { return &ValueReader{r: r} }

// Next returns the next value (valid until the next call), or io.EOF when
// the stream (or, InArray, the array) ends. Inside an array the closing
// ']' is consumed.
func (v *ValueReader) Next() ([]byte, error) {
	first := true
	for {
		b, err := v.skipSpace()
		if err != nil {
			if err == io.EOF && v.InArray {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if v.InArray {
			if b == ']' {
				v.r.ReadByte()
				v.InArray = false
				return nil, io.EOF
			}
			if b == ',' && first {
				v.r.ReadByte()
				first = false
				continue
			}
		}
		break
	}
	v.buf = v.buf[:0]
	return v.readValue()
}

func (v *ValueReader) skipSpace() (byte, error) {
	for {
		b, err := v.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, v.r.UnreadByte()
	}
}

// readValue copies one value into v.buf, tracking nesting and strings.
func (v *ValueReader) readValue() ([]byte, error) {
	depth := 0
	inString, escaped := false, false
	for {
		chunk, err := v.r.Peek(1)
		if len(chunk) == 0 {
			if err == io.EOF {
				if depth == 0 && !inString && len(v.buf) > 0 {
					return v.buf, nil
				}
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		n := v.r.Buffered()
		chunk, _ = v.r.Peek(n)
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			if inString {
				if escaped {
					escaped = false
					continue
				}
				// Jump to the next quote or backslash.
				j := quoteOrBackslash(chunk, i)
				if j < 0 {
					i = len(chunk) - 1
					continue
				}
				i = j
				if chunk[i] == '\\' {
					escaped = true
				} else {
					inString = false
					if depth == 0 {
						v.buf = append(v.buf, chunk[:i+1]...)
						v.r.Discard(i + 1)
						return v.buf, nil
					}
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth < 0 {
					return nil, &SyntaxError{Offset: len(v.buf) + i, Msg: "unexpected " + string(c)}
				}
				if depth == 0 {
					v.buf = append(v.buf, chunk[:i+1]...)
					v.r.Discard(i + 1)
					return v.buf, nil
				}
			case ',', ' ', '\t', '\r', '\n':
				if depth == 0 {
					v.buf = append(v.buf, chunk[:i]...)
					v.r.Discard(i)
					return v.buf, nil
				}
			}
		}
		v.buf = append(v.buf, chunk...)
		v.r.Discard(len(chunk))
	}
}

// Members calls fn with the key and raw value of each member of the JSON
// object in data. It stops at the first error fn returns.
func Members(data []byte, fn func(key string, value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &SyntaxError{Offset: i, Msg: "expected an object"}
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return &SyntaxError{Offset: i, Msg: "expected a member name"}
		}
		end, err := skipString(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : end-1]
		var name string
		if bytes.IndexByte(key, '\\') >= 0 {
			if name, err = String(data[i:end]); err != nil {
				return err
			}
		} else if utf8.Valid(key) {
			name = string(key)
		} else {
			name = validUTF8(key)
		}
		i = skipWS(data, end)
		if i >= len(data) || data[i] != ':' {
			return &SyntaxError{Offset: i, Msg: "expected ':' after a member name"}
		}
		i = skipWS(data, i+1)
		end, err = skipValue(data, i)
		if err != nil {
			return err
		}
		if err := fn(name, data[i:end]); err != nil {
			return err
		}
		i = skipWS(data, end)
		if i >= len(data) {
			return &SyntaxError{Offset: i, Msg: "the object is not closed"}
		}
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
		case '}':
			return trailing(data, i+1)
		default:
			return &SyntaxError{Offset: i, Msg: "expected ',' or '}'"}
		}
	}
}

// Elements calls fn with each raw element of the JSON array in data.
func Elements(data []byte, fn func(value []byte) error) error {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '[' {
		return &SyntaxError{Offset: i, Msg: "expected an array"}
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == ']' {
		return trailing(data, i+1)
	}
	for {
		end, err := skipValue(data, i)
		if err != nil {
			return err
		}
		if err := fn(data[i:end]); err != nil {
			return err
		}
		i = skipWS(data, end)
		if i >= len(data) {
			return &SyntaxError{Offset: i, Msg: "the array is not closed"}
		}
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
		case ']':
			return trailing(data, i+1)
		default:
			return &SyntaxError{Offset: i, Msg: "expected ',' or ']'"}
		}
	}
}

func trailing(data []byte, i int) error {
	if i = skipWS(data, i); i != len(data) {
		return &SyntaxError{Offset: i, Msg: "data after the value"}
	}
	return nil
}

// IsNull reports whether a raw value is null.
func IsNull(value []byte) bool { return string(value) == "null" }

// String decodes a raw JSON string value; null is "".
func String(value []byte) (string, error) {
	if IsNull(value) {
		return "", nil
	}
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return "", errNotString
	}
	inner := value[1 : len(value)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		if !utf8.Valid(inner) {
			return validUTF8(inner), nil
		}
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return "", &SyntaxError{Msg: "invalid string escape"}
	}
	return s, nil
}

// validUTF8 replaces each byte of b that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does (bytes.ToValidUTF8 would merge a run of
// bad bytes into one).
func validUTF8(b []byte) string {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return string(out)
}

// errNotString marks a value that should have been a string.
var errNotString = errors.New("not a string")

// IsNotString reports whether err says a value was not a string.
func IsNotString(err error) bool { return errors.Is(err, errNotString) }

func skipWS(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at data[i].
func skipString(data []byte, i int) (int, error) {
	j := i + 1
	for {
		k := quoteOrBackslash(data, j)
		if k < 0 {
			return 0, &SyntaxError{Offset: i, Msg: "unterminated string"}
		}
		j = k
		if data[j] == '"' {
			return j + 1, nil
		}
		j += 2 // skip the escaped character
		if j > len(data) {
			return 0, &SyntaxError{Offset: i, Msg: "unterminated string"}
		}
	}
}

// skipValue returns the index after the value starting at data[i].
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, &SyntaxError{Offset: i, Msg: "expected a value"}
	}
	switch c := data[i]; {
	case c == '"':
		return skipString(data, i)
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := skipString(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, &SyntaxError{Offset: i, Msg: "unclosed object or array"}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(data[i:], []byte(lit)) {
				return i + len(lit), nil
			}
		}
		return 0, &SyntaxError{Offset: i, Msg: "invalid literal"}
	case c == '-' || c >= '0' && c <= '9':
		j := i + 1
		for j < len(data) && (data[j] >= '0' && data[j] <= '9' || data[j] == '.' || data[j] == 'e' || data[j] == 'E' || data[j] == '+' || data[j] == '-') {
			j++
		}
		if _, err := strconv.ParseFloat(string(data[i:j]), 64); err != nil {
			return 0, &SyntaxError{Offset: i, Msg: "invalid number"}
		}
		return j, nil
	}
	return 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("unexpected character %q", data[i])}
}

// quoteOrBackslash returns the index of the first '"' or '\\' in data at
// or after i, or -1. JSON strings in logs are short, so a plain loop beats
// bytes.IndexAny, which builds a set on every call.
func quoteOrBackslash(data []byte, i int) int {
	for ; i < len(data); i++ {
		if c := data[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}
