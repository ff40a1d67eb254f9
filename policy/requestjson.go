package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cedar-policy/cedar-go/types"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/warden-nhi/warden"
)

// Decoding a decision request is on the hot path of every HTTP decision,
// so it reads JSON tokens in one pass with a pooled jsontext decoder
// instead of reflection. It is strict: member names must match exactly
// (case included), unknown and duplicate members are rejected, and so is
// anything after the object; every error is EINVALID naming the member.

// decoderPool holds jsontext decoders with their readers.
var decoderPool = sync.Pool{New: func() any { return &pooledDecoder{} }}

type pooledDecoder struct {
	r   bytes.Reader
	dec *jsontext.Decoder
}

func getDecoder(data []byte) *pooledDecoder {
	p := decoderPool.Get().(*pooledDecoder)
	p.r.Reset(data)
	if p.dec == nil {
		p.dec = jsontext.NewDecoder(&p.r)
	} else {
		p.dec.Reset(&p.r)
	}
	return p
}

func putDecoder(p *pooledDecoder) {
	p.r.Reset(nil)
	p.dec.Reset(&p.r)
	decoderPool.Put(p)
}

// DecodeRequest decodes the JSON body of one decision request (the body of
// POST /v1/authorize). It checks the JSON shape only; Decide checks the
// values.
func DecodeRequest(data []byte) (*Request, error) {
	p := getDecoder(data)
	defer putDecoder(p)
	dec := p.dec
	req := &Request{}
	if err := readObject(dec, "", func(name string) error {
		switch name {
		case "principal":
			if dec.PeekKind() == 'n' {
				req.Principal = nil
				return readNull(dec)
			}
			req.Principal = &warden.EntityRef{}
			return readRef(dec, name, req.Principal)
		case "token":
			if dec.PeekKind() == 'n' {
				return readNull(dec)
			}
			s, err := readString(dec, name)
			req.Token = s
			return err
		case "action":
			return readRef(dec, name, &req.Action)
		case "resource":
			return readRef(dec, name, &req.Resource)
		case "context":
			v, err := readRaw(dec, name)
			req.Context = v
			return err
		case "entities":
			v, err := readRaw(dec, name)
			req.Entities = v
			return err
		}
		return warden.FieldErrorf(clip(name), "unknown field %q", clip(name))
	}); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, warden.Errorf(warden.EINVALID, "request body has data after the JSON object")
	}
	return req, nil
}

// DecodeBatchRequest decodes the body of a batch decision request,
// {"requests": [request, ...]}, as strictly as DecodeRequest; an error in
// a request names it: requests[2].principal.id. More than max requests
// are refused without decoding the rest.
func DecodeBatchRequest(data []byte, max int) ([]*Request, error) {
	p := getDecoder(data)
	defer putDecoder(p)
	dec := p.dec
	var out []*Request
	if err := readObject(dec, "", func(name string) error {
		if name != "requests" {
			return warden.FieldErrorf(clip(name), "unknown field %q", clip(name))
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return syntaxErr(name, err)
		}
		switch tok.Kind() {
		case 'n':
			out = nil
			return nil
		case '[':
		default:
			return warden.FieldErrorf(name, "field requests must be an array, not a JSON %s", kindName(tok.Kind()))
		}
		out = out[:0]
		for dec.PeekKind() != ']' {
			if len(out) == max {
				return warden.FieldErrorf(name, "requests must hold 1-%d decision requests", max)
			}
			v, err := dec.ReadValue()
			if err != nil {
				return syntaxErr(name, err)
			}
			req, err := DecodeRequest(v)
			if err != nil {
				field := fmt.Sprintf("requests[%d]", len(out))
				if f := warden.ErrorField(err); f != "" {
					field += "." + f
				}
				return warden.FieldErrorf(field, "%s: %s", field, warden.ErrorMessage(err))
			}
			out = append(out, req)
		}
		_, err = dec.ReadToken()
		return syntaxErr(name, err)
	}); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, warden.Errorf(warden.EINVALID, "request body has data after the JSON object")
	}
	return out, nil
}

// readObject reads a JSON object, calling member for each member name
// with the decoder positioned at its value. null is not an object.
func readObject(dec *jsontext.Decoder, field string, member func(name string) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return syntaxErr(field, err)
	}
	if tok.Kind() != '{' {
		if field == "" {
			return warden.Errorf(warden.EINVALID, "request body must be a JSON object")
		}
		return warden.FieldErrorf(field, "field %s must be an object, not a JSON %s", field, kindName(tok.Kind()))
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return syntaxErr(field, err)
		}
		if err := member(tok.String()); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return syntaxErr(field, err)
	}
	return nil
}

// readRef reads an entity reference {"type": ..., "id": ...}; null leaves
// ref empty.
func readRef(dec *jsontext.Decoder, field string, ref *warden.EntityRef) error {
	if dec.PeekKind() == 'n' {
		*ref = warden.EntityRef{}
		return readNull(dec)
	}
	return readObject(dec, field, func(name string) error {
		var err error
		switch name {
		case "type":
			ref.Type, err = readString(dec, field+".type")
		case "id":
			ref.ID, err = readString(dec, field+".id")
		default:
			err = warden.FieldErrorf(field+"."+clip(name), "unknown field %q", clip(name))
		}
		return err
	})
}

// readString reads a JSON string; null is the empty string.
func readString(dec *jsontext.Decoder, field string) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", syntaxErr(field, err)
	}
	switch tok.Kind() {
	case '"':
		return tok.String(), nil
	case 'n':
		return "", nil
	}
	return "", warden.FieldErrorf(field, "field %s must be a string, not a JSON %s", field, kindName(tok.Kind()))
}

func readNull(dec *jsontext.Decoder) error {
	_, err := dec.ReadToken()
	return syntaxErr("", err)
}

// readRaw copies any JSON value; null is absent.
func readRaw(dec *jsontext.Decoder, field string) ([]byte, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return nil, syntaxErr(field, err)
	}
	if v.Kind() == 'n' {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// syntaxErr describes a JSON syntax error met while reading field.
func syntaxErr(field string, err error) error {
	if err == nil {
		return nil
	}
	var werr *warden.Error
	if errors.As(err, &werr) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return warden.Errorf(warden.EINVALID, "request body is not valid JSON: unexpected end of input")
	}
	msg := err.Error()
	var serr *jsontext.SyntacticError
	if errors.As(err, &serr) && serr.Err != nil {
		msg = serr.Err.Error()
		if errors.Is(err, jsontext.ErrDuplicateName) && serr.JSONPointer != "" {
			name := clip(string(serr.JSONPointer.LastToken()))
			if field != "" {
				name = field + "." + name
			}
			return warden.FieldErrorf(name, "field %s is given more than once", name)
		}
	}
	if field != "" {
		return warden.FieldErrorf(field, "field %s is not valid JSON: %s", field, clip(msg))
	}
	return warden.Errorf(warden.EINVALID, "request body is not valid JSON: %s", clip(msg))
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// parseContext converts a context JSON object into a Cedar record. A flat
// record of strings, booleans and integers (the usual source_ip, method,
// environment, ...) is built directly from the tokens; anything else goes
// through cedar-go's JSON decoding, which gives the same record (tested
// by FuzzParseContext_SameAsCedar).
func parseContext(raw []byte) (types.Record, error) {
	if rec, ok := flatRecord(raw); ok {
		return rec, nil
	}
	var rec types.Record
	if err := rec.UnmarshalJSON(raw); err != nil {
		return types.Record{}, err
	}
	return rec, nil
}

// scratchRecords holds the maps flatRecord fills.
var scratchRecords = sync.Pool{New: func() any { return make(types.RecordMap, 8) }}

// flatRecord builds the record of a flat JSON object; ok is false when raw
// is anything else, or has values cedar-go might read differently.
func flatRecord(raw []byte) (types.Record, bool) {
	p := getDecoder(raw)
	defer putDecoder(p)
	dec := p.dec
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return types.Record{}, false
	}
	// NewRecord copies the map, so the scratch map is reused (unless a
	// large context grew it).
	m := scratchRecords.Get().(types.RecordMap)
	defer func() {
		if len(m) <= 64 {
			clear(m)
			scratchRecords.Put(m)
		}
	}()
	for dec.PeekKind() != '}' {
		nameTok, err := dec.ReadToken()
		if err != nil {
			return types.Record{}, false
		}
		name := types.String(nameTok.String()) // before the next read voids it
		tok, err := dec.ReadToken()
		if err != nil {
			return types.Record{}, false
		}
		var v types.Value
		switch tok.Kind() {
		case '"':
			v = types.String(tok.String())
		case 't', 'f':
			v = types.Boolean(tok.Bool())
		case '0':
			if tok.String() == "-0" {
				return types.Record{}, false
			}
			n, err := tok.Int()
			if err != nil {
				return types.Record{}, false
			}
			v = types.Long(n)
		default:
			return types.Record{}, false
		}
		m[name] = v
	}
	if _, err := dec.ReadToken(); err != nil {
		return types.Record{}, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return types.Record{}, false
	}
	if len(m) == 0 {
		return types.Record{}, true
	}
	return types.NewRecord(m), true
}
