package httpapi

import (
	"reflect"
	"strings"
	"testing"
)

// TestRequestTypes_HaveNoNestedStructs guards decodeField's assumption that
// a request member cannot hide an unknown field inside a nested object.
func TestRequestTypes_HaveNoNestedStructs(t *testing.T) {
	for _, v := range []any{
		identityCreate{}, identityPatch{}, deprovisionRequest{},
		credentialCreate{}, credentialPatch{}, tokenCreate{},
	} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Map || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != timeType && ft != optionalTimeType {
				t.Errorf("%s.%s is a nested struct %s: decode it with DisallowUnknownFields", typ.Name(), f.Name, ft)
			}
			if tag := f.Tag.Get("json"); tag == "" || strings.Contains(tag, ",") {
				t.Errorf("%s.%s: json tag %q must be a plain name", typ.Name(), f.Name, tag)
			}
		}
	}
}

func TestOptionalTime_DistinguishesAbsentNullAndValue(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		set, null bool
	}{
		{"Absent", `{"owner":"a"}`, false, false},
		{"Null", `{"next_review_at":null}`, true, true},
		{"Value", `{"next_review_at":"2026-01-01T00:00:00Z"}`, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req identityPatch
			if err := decodeBody("application/json", strings.NewReader(tc.body), &req, decodeOptions{}); err != nil {
				t.Fatal(err)
			}
			if req.NextReviewAt.Set != tc.set || req.NextReviewAt.Null != tc.null {
				t.Errorf("got %+v", req.NextReviewAt)
			}
		})
	}
}
