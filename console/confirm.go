package console

import (
	"net/http"
	"sort"
)

// confirmation describes a change before it is made: what it is, to what,
// and what follows from it.
type confirmation struct {
	Heading string   // "Quarantine payments-api?"
	Lines   []string // what will change, one fact per line
	Button  string   // the confirming button's label
	Danger  bool     // style the button as destructive
	Cancel  string   // where "Cancel" goes
}

// confirmPage is the data of the confirmation page.
type confirmPage struct {
	confirmation
	Action string        // the URL the confirmed form posts back to
	Fields []hiddenField // the submitted form, carried through unchanged
}

type hiddenField struct{ Name, Value string }

// confirmed reports whether the posted form was confirmed. When it was not,
// it renders the confirmation page, which posts the same form again with
// confirm=yes, and returns false: every console action goes through this
// step before it changes anything.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, c confirmation) bool {
	if r.PostForm.Get("confirm") == "yes" {
		return true
	}
	page := confirmPage{confirmation: c, Action: r.URL.Path}
	names := make([]string, 0, len(r.PostForm))
	for name := range r.PostForm {
		if name != csrfField && name != "confirm" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range r.PostForm[name] {
			page.Fields = append(page.Fields, hiddenField{Name: name, Value: v})
		}
	}
	s.render(w, r, http.StatusOK, "confirm", view{Title: c.Heading, Data: page})
	return false
}
