package httpapi

import (
	"context"
	"net/http"
)

// The steps the JSON handlers share. A handler checks that its service is
// wired, then hands one of these what is specific to it: the body it
// decodes, the filter its query makes, the service call. Each accepts no
// query parameters but those it is given, answers the service's result as
// JSON and any error as a problem.

// serveBody answers a request whose body says what to do: the body, of
// type T, is decoded strictly (opts), and what do returns for it is
// written with status.
func serveBody[T, R any](s *Server, w http.ResponseWriter, r *http.Request, status int, opts decodeOptions, do func(ctx context.Context, in T) (R, error)) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in T
	if err := s.decodeRequest(w, r, &in, opts); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, status, out)
}

// serveByID answers a request about the one object named by the {id} of
// its path: what do returns for the id is written with 200.
func serveByID[T any](s *Server, w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id string) (T, error)) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := do(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

// serveChange applies a body of type T, decoded strictly (opts), to the
// object named by {id}: what do returns is written with 200.
func serveChange[T, R any](s *Server, w http.ResponseWriter, r *http.Request, opts decodeOptions, do func(ctx context.Context, id string, in T) (R, error)) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in T
	if err := s.decodeRequest(w, r, &in, opts); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// serveList answers a paginated list: the query, which may name only
// params, becomes a filter F (filter checks it, in the order its errors
// should be reported), and the page find returns for it is written with
// 200 as a listResponse.
func serveList[F, T any](s *Server, w http.ResponseWriter, r *http.Request, params []string,
	filter func(r *http.Request, q queryParams) (F, error), find func(ctx context.Context, f F) ([]T, string, error)) {
	q, err := parseQuery(r, params)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, err := filter(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := find(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

// listResponse is the body of every paginated list.
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// newList is a list's body: items (an empty list, never null) and the
// cursor of the next page, "" on the last.
func newList[T any](items []T, next string) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items, NextCursor: next}
}
