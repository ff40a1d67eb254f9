package main

import (
	"errors"
	"fmt"
	"iter"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// listOptions are the paging flags of list commands.
type listOptions struct {
	limit    int
	pageSize int
}

// addListFlags adds --limit and --page-size to a list command.
func addListFlags(cmd *cobra.Command) *listOptions {
	o := &listOptions{}
	cmd.Flags().IntVar(&o.limit, "limit", 0, "print at most this many items (default: follow every page)")
	cmd.Flags().IntVar(&o.pageSize, "page-size", warden.MaxPageSize, fmt.Sprintf("items fetched per request (1-%d)", warden.MaxPageSize))
	return o
}

// page returns the page size to request: never more than the limit needs.
func (o *listOptions) page() (int, error) {
	if o.limit < 0 {
		return 0, errors.New("--limit must not be negative")
	}
	if o.pageSize < 1 || o.pageSize > warden.MaxPageSize {
		return 0, fmt.Errorf("--page-size must be between 1 and %d", warden.MaxPageSize)
	}
	if o.limit > 0 && o.limit < o.pageSize {
		return o.limit, nil
	}
	return o.pageSize, nil
}

// each calls fn for the items of seq, stopping after limit items when limit
// is positive; it stops fetching pages as soon as it has enough.
func each[T any](seq iter.Seq2[T, error], limit int, fn func(T) error) error {
	n := 0
	for item, err := range seq {
		if err != nil {
			return explain(err)
		}
		if err := fn(item); err != nil {
			return err
		}
		n++
		if limit > 0 && n >= limit {
			break
		}
	}
	return nil
}

// printList prints the items of a list command: with asJSON one JSON line
// each, otherwise a row each that row adds to t, then t, saying on stderr
// that no what were found when nothing matched. It stops after limit items
// when limit is positive; its errors say what to do next (explain).
func printList[T any](cmd *cobra.Command, asJSON bool, seq iter.Seq2[T, error], limit int, t *table, what string, row func(T)) error {
	if asJSON {
		jl := newJSONLines(cmd.OutOrStdout())
		return explain(each(seq, limit, func(v T) error { return jl.write(v) }))
	}
	err := each(seq, limit, func(v T) error { row(v); return nil })
	if ferr := t.flush(cmd.ErrOrStderr(), what); err == nil {
		err = ferr
	}
	return explain(err)
}
