package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/warden-nhi/warden"
)

// identitiesPageSize is how many identities one page of the list shows.
const identitiesPageSize = 50

// maxFilterValueLen bounds every filter value of the identities list; the
// longest legitimate one is a cursor.
const maxFilterValueLen = 4096

// identityQuery is the identities list's filter form as the user typed it,
// kept as text so that the form shows back exactly what was asked.
type identityQuery struct {
	Q, Kind, Provider, Status, Owner, Environment, Managed, Sort string
	Unowned                                                      bool
	Cursor                                                       string
}

// identitiesPage is the data of the identities list.
type identitiesPage struct {
	Query    identityQuery
	Kinds    []warden.IdentityKind
	Statuses []warden.Status
	Sorts    []sortOption
	Columns  map[string]sortHeader // sortable columns by sort key
	Items    []*warden.Identity
	Summary  string
	Filtered bool   // any filter but the sort is set
	NextURL  string // "" on the last page
	FirstURL string // "" on the first page
}

// sortOption is one entry of the sort select.
type sortOption struct{ Value, Label string }

// sortHeader is a sortable column header: where clicking it goes, and how
// the list is sorted by it now ("ascending", "descending" or "").
type sortHeader struct{ Href, AriaSort string }

// sortLabels names the sort keys of warden.IdentitySorts for people.
var sortLabels = map[string]string{
	"name": "Name", "created_at": "Created", "updated_at": "Updated",
	"last_used_at": "Last used", "next_review_at": "Next review", "risk_score": "Risk score",
}

// descFirst are the columns whose header sorts descending on first click:
// the riskiest and most recently used identities are the interesting ones.
var descFirst = map[string]bool{"risk_score": true, "last_used_at": true}

func (s *Server) handleIdentities(w http.ResponseWriter, r *http.Request) {
	q, filter, err := parseIdentityQuery(r.URL.Query())
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	items, next, err := s.cfg.Identities.FindIdentities(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	q.Sort = filter.Sort // normalised: the store's default when none was asked
	page := identitiesPage{
		Query: q, Kinds: warden.IdentityKinds, Statuses: warden.Statuses,
		Sorts: identitySortOptions(), Columns: map[string]sortHeader{},
		Items: items, Filtered: q.filtered(),
	}
	for _, key := range []string{"name", "last_used_at", "risk_score"} {
		page.Columns[key] = q.header(key)
	}
	if next != "" {
		page.NextURL = q.url(q.Sort, next)
	}
	if q.Cursor != "" {
		page.FirstURL = q.url(q.Sort, "")
	}
	page.Summary = listSummary(len(items), next != "", q.Cursor != "")
	s.render(w, r, http.StatusOK, "identities", view{Title: "Identities", Nav: "identities", Data: page})
}

// parseIdentityQuery reads the list's query string into the form's values
// and a validated filter. Empty values mean "any", as a submitted form
// sends every field. Errors are EINVALID naming the field.
func parseIdentityQuery(v url.Values) (identityQuery, warden.IdentityFilter, error) {
	for name, vals := range v {
		for _, val := range vals {
			if len(val) > maxFilterValueLen {
				return identityQuery{}, warden.IdentityFilter{}, warden.FieldErrorf(name, "%s is longer than %d bytes", name, maxFilterValueLen)
			}
		}
	}
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	q := identityQuery{
		Q: get("q"), Kind: get("kind"), Provider: get("provider"), Status: get("status"),
		Owner: get("owner"), Environment: get("environment"), Managed: get("managed"),
		Sort: get("sort"), Cursor: v.Get("cursor"),
	}
	f := warden.IdentityFilter{
		Query: q.Q, Kind: warden.IdentityKind(q.Kind), Provider: warden.Provider(q.Provider),
		Status: warden.Status(q.Status), Owner: q.Owner, Environment: q.Environment,
		Sort: q.Sort, Cursor: q.Cursor, Limit: identitiesPageSize,
	}
	switch u := get("unowned"); u {
	case "", "0", "false":
	case "1", "true", "on":
		q.Unowned, f.Unowned = true, true
	default:
		return q, f, warden.FieldErrorf("unowned", "unowned must be 1 or empty, not %q", clipText(u))
	}
	if q.Managed != "" {
		m, err := strconv.ParseBool(q.Managed)
		if err != nil {
			return q, f, warden.FieldErrorf("managed", "managed must be true, false or empty, not %q", clipText(q.Managed))
		}
		f.Managed = &m
	}
	if err := f.Validate(); err != nil {
		return q, f, err
	}
	return q, f, nil
}

// clipText shortens user input quoted back in an error message.
func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// filtered reports whether any filter (not the sort or page) is set.
func (q identityQuery) filtered() bool {
	return q.Q != "" || q.Kind != "" || q.Provider != "" || q.Status != "" || q.Owner != "" ||
		q.Environment != "" || q.Managed != "" || q.Unowned
}

// url is the list's address with the query's filters, the sort and the
// cursor, leaving out what is empty.
func (q identityQuery) url(sort, cursor string) string {
	v := url.Values{}
	set := func(name, val string) {
		if val != "" {
			v.Set(name, val)
		}
	}
	set("q", q.Q)
	set("kind", q.Kind)
	set("provider", q.Provider)
	set("status", q.Status)
	set("owner", q.Owner)
	if q.Unowned {
		v.Set("unowned", "1")
	}
	set("environment", q.Environment)
	set("managed", q.Managed)
	set("sort", sort)
	set("cursor", cursor)
	if len(v) == 0 {
		return Prefix + "identities"
	}
	return Prefix + "identities?" + v.Encode()
}

// header is the sortable column header of key: clicking a column sorted by
// it reverses the order, clicking another sorts by it.
func (q identityQuery) header(key string) sortHeader {
	switch q.Sort {
	case key:
		return sortHeader{Href: q.url("-"+key, ""), AriaSort: "ascending"}
	case "-" + key:
		return sortHeader{Href: q.url(key, ""), AriaSort: "descending"}
	}
	if descFirst[key] {
		return sortHeader{Href: q.url("-"+key, "")}
	}
	return sortHeader{Href: q.url(key, "")}
}

// identitySortOptions lists every sort of warden.IdentitySorts in both
// directions.
func identitySortOptions() []sortOption {
	out := make([]sortOption, 0, 2*len(warden.IdentitySorts))
	for _, key := range warden.IdentitySorts {
		label := sortLabels[key]
		if label == "" {
			label = key
		}
		out = append(out,
			sortOption{Value: key, Label: label + ", ascending"},
			sortOption{Value: "-" + key, Label: label + ", descending"})
	}
	return out
}

// listSummary says how much of the list a page shows.
func listSummary(n int, more, later bool) string {
	count := strconv.Itoa(n) + " identities"
	if n == 1 {
		count = "1 identity"
	}
	switch {
	case n == 0:
		return "No identities"
	case more:
		return "Showing " + count + "; more on the next page"
	case later:
		return "Showing the last " + count
	}
	return "Showing " + count
}
