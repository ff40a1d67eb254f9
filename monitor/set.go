package monitor

import "sort"

// seenSet is a bounded set of values with the Unix time each was last
// seen. When it is full, the least recently seen half is forgotten, so a
// set costs O(1) amortised per insert and its memory never grows with the
// number of events.
type seenSet map[string]int64

// has reports whether v is in the set.
func (s seenSet) has(v string) bool { _, ok := s[v]; return ok }

// add records v as seen at unix, evicting the oldest half when the set
// holds limit values.
func (s seenSet) add(v string, unix int64, limit int) {
	if old, ok := s[v]; ok {
		if unix > old {
			s[v] = unix
		}
		return
	}
	if len(s) >= limit {
		s.evictHalf()
	}
	s[v] = unix
}

func (s seenSet) evictHalf() {
	times := make([]int64, 0, len(s))
	for _, t := range s {
		times = append(times, t)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	cut := times[len(times)/2]
	for k, t := range s {
		if t < cut || (t == cut && len(s) > len(times)/2) {
			delete(s, k)
		}
	}
}
