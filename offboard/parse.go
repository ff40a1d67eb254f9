package offboard

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// MaxDepartures bounds a departed-people list: a larger one is refused
// before anything is written.
const MaxDepartures = 10000

// Departure is one row of a departed-people list.
type Departure struct {
	Person string // as written; the service normalises it
	// DepartedAt is zero when the list leaves it out (departed now).
	DepartedAt time.Time
	Line       int // where the row starts, for errors
}

// Parse reads a departed-people list in format "csv" or "json", calling
// fn for each row in order. A malformed list yields an EINVALID error
// naming the line and field; fn's error stops the parse and is returned.
func Parse(format string, r io.Reader, fn func(Departure) error) error {
	switch format {
	case warden.OffboardSourceCSV:
		return ParseCSV(r, fn)
	case warden.OffboardSourceJSON:
		return ParseJSON(r, fn)
	}
	return warden.FieldErrorf("format", "format %q is not csv or json", clip(format))
}

// ParseCSV reads a CSV list with a header row naming the columns: person
// (or email) is required, departed_at optional (RFC 3339 or YYYY-MM-DD);
// other columns are ignored. Header names are matched case-insensitively.
func ParseCSV(r io.Reader, fn func(Departure) error) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return warden.FieldErrorf("file", "the CSV list is empty: it needs a header row with a person or email column")
	} else if err != nil {
		return csvError(err)
	}
	personCol, emailCol, dateCol := -1, -1, -1
	for n, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "person":
			personCol = n
		case "email":
			emailCol = n
		case "departed_at":
			dateCol = n
		}
	}
	if personCol < 0 {
		personCol = emailCol
	}
	if personCol < 0 {
		return warden.FieldErrorf("person", "line 1: the header row has no person or email column (got %s)", clip(strings.Join(header, ",")))
	}
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if rows++; rows > MaxDepartures {
			return warden.Errorf(warden.ETOOLARGE, "line %d: the list has more than %d people; split it", line, MaxDepartures)
		}
		d := Departure{Line: line}
		if personCol < len(rec) {
			d.Person = strings.TrimSpace(rec[personCol])
		}
		if err := checkPerson(d.Person, line); err != nil {
			return err
		}
		if dateCol >= 0 && dateCol < len(rec) {
			if d.DepartedAt, err = parseDeparted(rec[dateCol], line); err != nil {
				return err
			}
		}
		if err := fn(d); err != nil {
			return err
		}
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return warden.FieldErrorf("file", "line %d: %v", pe.StartLine, pe.Err)
	}
	return fmt.Errorf("read CSV list: %w", err)
}

// jsonDeparture is one element of a JSON list; other fields are ignored.
type jsonDeparture struct {
	Person     *string `json:"person"`
	Email      *string `json:"email"`
	DepartedAt *string `json:"departed_at"`
}

// ParseJSON reads a JSON array of {"person": ..., "departed_at": ...}
// objects ("email" stands in for a missing person), one element at a
// time, so a long list is never held whole.
func ParseJSON(r io.Reader, fn func(Departure) error) error {
	lines := &lineCounter{r: r}
	dec := json.NewDecoder(lines)
	dec.UseNumber()
	tok, err := dec.Token()
	if err == io.EOF {
		return warden.FieldErrorf("file", "the JSON list is empty: send an array of {\"person\": ..., \"departed_at\": ...}")
	} else if err != nil {
		return jsonError(err, lines, dec.InputOffset(), 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return warden.FieldErrorf("file", "line %d: the JSON list must be an array of {\"person\": ..., \"departed_at\": ...}", lines.line(dec.InputOffset()))
	}
	n := 0
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(err, lines, dec.InputOffset(), 0)
		}
		// raw is the element without the whitespace before it, so its
		// first byte is where the element starts.
		base := dec.InputOffset() - int64(len(raw))
		start := lines.line(base)
		var e jsonDeparture
		if err := json.Unmarshal(raw, &e); err != nil {
			return jsonError(err, lines, dec.InputOffset(), base)
		}
		if n++; n > MaxDepartures {
			return warden.Errorf(warden.ETOOLARGE, "line %d: the list has more than %d people; split it", start, MaxDepartures)
		}
		d := Departure{Line: start}
		switch {
		case e.Person != nil:
			d.Person = strings.TrimSpace(*e.Person)
		case e.Email != nil:
			d.Person = strings.TrimSpace(*e.Email)
		}
		if err := checkPerson(d.Person, start); err != nil {
			return err
		}
		if e.DepartedAt != nil {
			if d.DepartedAt, err = parseDeparted(*e.DepartedAt, start); err != nil {
				return err
			}
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err, lines, dec.InputOffset(), 0)
	}
	if _, err := dec.Token(); err != io.EOF {
		return warden.FieldErrorf("file", "line %d: unexpected data after the JSON array", lines.line(dec.InputOffset()))
	}
	return nil
}

// jsonError turns a decoding error into EINVALID naming the line; base
// is the offset of the element a type error's offset is relative to.
func jsonError(err error, lines *lineCounter, offset, base int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return warden.FieldErrorf("file", "line %d: the JSON list is malformed: %v", lines.line(base+syn.Offset), syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "file"
		}
		return warden.FieldErrorf(field, "line %d: %s must be %s, not a JSON %s", lines.line(base+typ.Offset), describeField(typ.Field), jsonWant(typ), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return warden.FieldErrorf("file", "line %d: the JSON list ends early", lines.line(max(offset, lines.off)))
	}
	return fmt.Errorf("read JSON list: %w", err)
}

func describeField(f string) string {
	if f == "" {
		return "each element"
	}
	return f
}

func jsonWant(typ *json.UnmarshalTypeError) string {
	if typ.Field == "" {
		return "an object"
	}
	return "a string"
}

func checkPerson(p string, line int) error {
	if p == "" {
		return warden.FieldErrorf("person", "line %d: person is empty", line)
	}
	if _, err := warden.NormalisePerson("person", p); err != nil {
		return warden.FieldErrorf("person", "line %d: %s", line, warden.ErrorMessage(err))
	}
	return nil
}

func parseDeparted(s string, line int) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, warden.FieldErrorf("departed_at", "line %d: %s", line, warden.ErrorMessage(err))
	}
	return t, nil
}

// ParseTime reads a departure time: RFC 3339, or a date (YYYY-MM-DD,
// midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, warden.FieldErrorf("departed_at", "departed_at %q is not an RFC 3339 time or a YYYY-MM-DD date", clip(s))
}

// lineCounter remembers where the newlines of what it has read are, so a
// decoder's byte offset can be told as a line number.
type lineCounter struct {
	r   io.Reader
	off int64
	nl  []int64
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := 0, p[:n]; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		c.nl = append(c.nl, c.off+int64(i+j))
		i += j + 1
	}
	c.off += int64(n)
	return n, err
}

// line is the 1-based line of byte offset off.
func (c *lineCounter) line(off int64) int {
	return sort.Search(len(c.nl), func(i int) bool { return c.nl[i] >= off }) + 1
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
