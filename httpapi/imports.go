package httpapi

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/warden-nhi/warden"
)

// DefaultMaxImportBytes limits an import upload when Discovery leaves it
// zero. Imports stream, so the limit bounds work, not memory.
const DefaultMaxImportBytes = 1 << 30

// Discovery wires the import and activity routes: POST /v1/imports/{source}
// and GET /v1/events. A nil Discovery (or nil member) makes those routes
// answer 404 naming what is not configured.
type Discovery struct {
	// Importers by source name: aws-iam, aws-credential-report,
	// cloudtrail, k8s, k8s-audit, github-audit, x509.
	Importers map[string]warden.Importer
	Events    warden.EventService
	// MaxImportBytes limits an upload's body (compressed size);
	// 0 means DefaultMaxImportBytes.
	MaxImportBytes int64
}

func (d *Discovery) maxImportBytes() int64 {
	if d.MaxImportBytes > 0 {
		return d.MaxImportBytes
	}
	return DefaultMaxImportBytes
}

// maxRefLen bounds the name of an upload.
const maxRefLen = 256

// handleImport streams the request body into the named importer and
// answers with its report. The body is the raw export or log, gzip or
// plain; ?name= names it in errors and in the events' source reference.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"name"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	source, err := pathValue(r, "source")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d := s.discovery
	if d == nil || len(d.Importers) == 0 {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "imports are not configured on this server"))
		return
	}
	im, ok := d.Importers[source]
	if !ok {
		names := make([]string, 0, len(d.Importers))
		for n := range d.Importers {
			names = append(names, n)
		}
		slices.Sort(names)
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "no importer %q; use one of %s", clip(source), strings.Join(names, ", ")))
		return
	}
	ref := q.get("name")
	if ref == "" {
		ref = source + "-upload"
	}
	if len(ref) > maxRefLen {
		s.Error(w, r, warden.FieldErrorf("name", "name is longer than %d bytes", maxRefLen))
		return
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "gzip" && enc != "identity" {
		s.Error(w, r, warden.Errorf(codeUnsupportedMediaType, "Content-Encoding %q is not supported; send the body plain or gzip", clip(enc)))
		return
	}
	limit := d.maxImportBytes()
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, limit), limit: limit}
	report, err := im.Import(r.Context(), body, ref)
	if body.err != nil {
		err = body.err
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, report)
}

// limitedBody turns the body limit into ETOOLARGE whatever an importer
// makes of the read error, and remembers it so the handler reports it.
type limitedBody struct {
	r     io.Reader
	limit int64
	err   error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.err = warden.Errorf(warden.ETOOLARGE, "the upload is larger than %d bytes", b.limit)
		return n, b.err
	}
	return n, err
}
