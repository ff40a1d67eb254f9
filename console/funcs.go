package console

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"
)

// templateFuncs are the helpers every page template may use.
var templateFuncs = template.FuncMap{
	"when":       when,
	"ago":        ago,
	"age":        age,
	"short":      short,
	"join":       strings.Join,
	"sortedKeys": sortedKeys,
	"dict":       dict,
	"add":        func(a, b int) int { return a + b },
	"pct": func(n, total int) int {
		if total == 0 {
			return 0
		}
		return n * 100 / total
	},
}

// when formats a time in UTC to the minute; nil or zero is "—".
func when(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04 UTC")
	}
	return "—"
}

// ago says how long before now a time was, coarsely ("3 days ago"); nil is
// "never".
func ago(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return "never"
		}
		v = *x
	}
	if v.IsZero() {
		return "never"
	}
	d := time.Since(v)
	if d < 0 {
		return "in " + age(-d)
	}
	return age(d) + " ago"
}

// age formats a duration coarsely: minutes, hours, days or years.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 730*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	default:
		return plural(int(d/(365*24*time.Hour)), "year")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// short cuts an id to its first 8 characters for tables (the full id is in
// the link and the title).
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8]
}

// sortedKeys returns a count map's keys, largest count first, then by name.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// dict builds a map from alternating keys and values, to pass several
// values to a partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
