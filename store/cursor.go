package store

import (
	"encoding/base64"
	"encoding/json"

	"github.com/warden-nhi/warden"
)

// cursor is the decoded form of an opaque page cursor: the sort it belongs
// to and the sort key and id of the last row of the previous page.
type cursor struct {
	Sort string `json:"s,omitempty"`
	Str  string `json:"v,omitempty"`
	Int  int64  `json:"n,omitempty"`
	ID   string `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses s; sort must match the sort the cursor was made for.
func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := warden.FieldErrorf("cursor", "cursor is not valid: pass the next_cursor of a previous page unchanged")
	if len(s) > 4096 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return nil, bad
	}
	if c.Sort != sort {
		return nil, warden.FieldErrorf("cursor", "cursor was made for sort %q, not %q", c.Sort, sort)
	}
	return &c, nil
}
