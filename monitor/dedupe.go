package monitor

import "hash/maphash"

// dedupe remembers the last n (source, raw id) pairs in a ring, as 64-bit
// hashes, so that memory is fixed at start however many events pass and
// no key is allocated per event. Two different pairs share a hash with
// probability about n/2^64 per event, which is negligible.
type dedupe struct {
	seed maphash.Seed
	seen map[uint64]struct{}
	ring []uint64
	used []bool
	next int
}

func newDedupe(n int) *dedupe {
	return &dedupe{seed: maphash.MakeSeed(), seen: make(map[uint64]struct{}, n), ring: make([]uint64, n), used: make([]bool, n)}
}

// add reports whether (source, rawID) is new, remembering it.
func (d *dedupe) add(source, rawID string) bool {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(source)
	h.WriteByte(0)
	h.WriteString(rawID)
	key := h.Sum64()
	if _, ok := d.seen[key]; ok {
		return false
	}
	if d.used[d.next] {
		delete(d.seen, d.ring[d.next])
	}
	d.ring[d.next], d.used[d.next] = key, true
	d.seen[key] = struct{}{}
	d.next = (d.next + 1) % len(d.ring)
	return true
}
