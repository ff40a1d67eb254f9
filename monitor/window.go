package monitor

import (
	"time"

	"github.com/warden-nhi/warden"
)

// recent is a detector's sliding window over an actor's events: a compact
// key per event for counting (at most maxWindowEvents), and full copies of
// only the newest MaxDetectionEvidence events, for evidence. An actor's
// windows thus cost a fixed, small amount however busy it is.
type recent struct {
	keys []windowKey
	last []warden.Event // oldest first
}

// windowKey is what counting needs of one event.
type windowKey struct {
	t        time.Time
	key, sub string // e.g. the secret and its namespace, or the denied action
}

// add appends e, counted under key and sub, and forgets events older than
// d before it (and the oldest beyond the window's capacity).
func (w *recent) add(e *warden.Event, key, sub string, d time.Duration) {
	cut := 0
	for cut < len(w.keys) && e.Time.Sub(w.keys[cut].t) > d {
		cut++
	}
	if len(w.keys)-cut >= maxWindowEvents {
		cut = len(w.keys) - maxWindowEvents + 1
	}
	if cut > 0 {
		n := copy(w.keys, w.keys[cut:])
		clear(w.keys[n:])
		w.keys = w.keys[:n]
	}
	w.keys = append(w.keys, windowKey{t: e.Time, key: key, sub: sub})
	if len(w.last) == warden.MaxDetectionEvidence {
		copy(w.last, w.last[1:])
		w.last = w.last[:len(w.last)-1]
	}
	w.last = append(w.last, *e)
}

// len is how many events the window holds.
func (w *recent) len() int { return len(w.keys) }

// evidence copies the newest events still in the window, oldest first.
func (w *recent) evidence() []*warden.Event {
	if len(w.keys) == 0 {
		return nil
	}
	start := w.keys[0].t
	out := make([]*warden.Event, 0, len(w.last))
	for i := range w.last {
		if !w.last[i].Time.Before(start) {
			cp := w.last[i]
			out = append(out, &cp)
		}
	}
	return out
}
