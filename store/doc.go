package store

import (
	"encoding/json"
	"fmt"
)

// scanDoc returns the scanner of a row whose one column is an object
// stored whole as JSON (doc); what names the object in decoding errors.
func scanDoc[T any](what string) func(rowScanner) (*T, error) {
	return func(s rowScanner) (*T, error) {
		var doc string
		if err := s.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		return &v, nil
	}
}
