package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/warden-nhi/warden"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page: the layout plus the page's
// own file, so that every page defines the same blocks.
type pages struct {
	byName map[string]*template.Template
}

func mustParsePages() *pages {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t := template.New("layout").Funcs(templateFuncs)
		partials, _ := fs.Glob(templateFS, "templates/_*.html")
		t = template.Must(t.ParseFS(templateFS, append([]string{"templates/layout.html", f}, partials...)...))
		p.byName[name] = t
	}
	return p
}

// view is what every page template receives: the page's own data in Data,
// and what the layout needs around it.
type view struct {
	Title   string
	Nav     string // the navigation entry to highlight
	Session *signedIn
	CSRF    string
	Flash   string
	Data    any
}

// Can reports whether the signed-in role grants the permission, so that
// templates show only the actions the user may take.
func (v view) Can(perm string) bool {
	return v.Session != nil && v.Session.Role.Can(warden.Permission(perm))
}

// render writes page name with data, buffered so that a template error
// becomes an error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	v, ok := data.(view)
	if !ok {
		v = view{Data: data}
	}
	if sess := sessionFrom(r.Context()); sess != nil {
		v.Session, v.CSRF = sess, sess.csrf
	}
	if v.Flash == "" {
		v.Flash = flashMessages[r.URL.Query().Get("done")]
	}
	t := s.pages.byName[name]
	if t == nil {
		s.log.Error("console: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("console: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// statusPage is the data of the error/status page.
type statusPage struct {
	Status  int
	Heading string
	Message string
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	s.render(w, r, status, "status", view{Title: heading, Data: statusPage{Status: status, Heading: heading, Message: msg}})
}

// renderError shows a domain error as a page with the matching status;
// internal errors are logged and shown without detail.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	switch warden.ErrorCode(err) {
	case warden.EINVALID, warden.ETOOLARGE:
		s.renderStatus(w, r, http.StatusBadRequest, "Check the input", warden.ErrorMessage(err))
	case warden.ENOTFOUND:
		s.renderStatus(w, r, http.StatusNotFound, "Not found", warden.ErrorMessage(err))
	case warden.ECONFLICT:
		s.renderStatus(w, r, http.StatusConflict, "Conflict", warden.ErrorMessage(err))
	case warden.EUNAUTHORIZED:
		s.renderStatus(w, r, http.StatusUnauthorized, "Sign in required", warden.ErrorMessage(err))
	case warden.EFORBIDDEN:
		s.renderStatus(w, r, http.StatusForbidden, "Not allowed", warden.ErrorMessage(err))
	default:
		s.log.Error("console: internal error", "path", r.URL.Path, "err", err)
		s.renderStatus(w, r, http.StatusInternalServerError, "Something went wrong", "warden could not complete this; the server log has the details.")
	}
}

// flashMessages are the confirmations shown after an action redirects
// back: a fixed set, so that no query parameter is ever echoed as text.
var flashMessages = map[string]string{
	"owner":          "Saved.",
	"quarantine":     "The identity is quarantined: the decision point denies it from now on.",
	"lift":           "The quarantine is lifted.",
	"revoke":         "Revoked.",
	"suppress":       "The finding is suppressed.",
	"unsuppress":     "The finding is open again.",
	"unchanged":      "Nothing changed: the form held the values already saved.",
	"access-approve": "Your approval is recorded.",
	"access-deny":    "The request is denied.",
	"access-revoke":  "Revoked: the grant and its tokens have ended.",
	"access-review":  "The review is recorded.",
	"owner-accept":   "The owner is set.",
	"owner-reject":   "The suggestion is rejected; that owner will not be suggested again.",
}

// redirectDone sends the browser back to a page after an action, with the
// confirmation to show there.
func redirectDone(w http.ResponseWriter, r *http.Request, to, done string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, fmt.Sprintf("%s%sdone=%s", to, sep, done), http.StatusSeeOther)
}

// handleStatic serves the embedded stylesheet and images.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	sub, _ := fs.Sub(staticFS, "static")
	http.StripPrefix(Prefix+"static/", http.FileServerFS(sub)).ServeHTTP(w, r)
}
