package monitor

// dedupe remembers the last n (source, raw id) keys in a ring, so that
// memory stays bounded however many events pass.
type dedupe struct {
	seen map[string]struct{}
	ring []string
	next int
}

func newDedupe(n int) *dedupe {
	return &dedupe{seen: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add reports whether key is new, remembering it.
func (d *dedupe) add(key string) bool {
	if _, ok := d.seen[key]; ok {
		return false
	}
	if old := d.ring[d.next]; old != "" {
		delete(d.seen, old)
	}
	d.ring[d.next] = key
	d.seen[key] = struct{}{}
	d.next = (d.next + 1) % len(d.ring)
	return true
}
