package monitor

import (
	"time"

	"github.com/warden-nhi/warden"
)

// Config tunes the engine. Zero fields take the defaults listed.
type Config struct {
	// LearningPeriod (7 days) and MinLearningEvents (50) must both pass
	// before an actor's baselined detectors may fire.
	LearningPeriod    time.Duration
	MinLearningEvents int
	// Lateness (1 minute) is how long, in event time, events of an actor
	// wait so that late arrivals can be put in order; 0 keeps the default,
	// a negative value releases each event at once.
	Lateness time.Duration
	// MaxPending (16384) bounds the events waiting in all actors' queues:
	// past it the older half is released early, so memory stays flat
	// however fast events arrive.
	MaxPending int
	// DormantAfter (30 days) of silence makes new activity suspicious.
	DormantAfter time.Duration
	// Rate spikes: an hour with more than max(RateFactor (10) × mean,
	// mean + 6σ, RateMinEvents (200)) events, once MinRateHours (24)
	// active hours are known.
	RateFactor    float64
	RateMinEvents int
	MinRateHours  int
	// Bulk secret reads: SecretBurst (10) distinct secrets or
	// NamespaceBurst (3) namespaces within SecretWindow (10 minutes).
	SecretWindow   time.Duration
	SecretBurst    int
	NamespaceBurst int
	// Probing: DenyBurst (10) denials over DenyActions (4) actions within
	// DenyWindow (5 minutes).
	DenyWindow  time.Duration
	DenyBurst   int
	DenyActions int
	// DedupeWindow (65536) is how many recent (source, raw id) pairs are
	// remembered to drop duplicates.
	DedupeWindow int
	// Baselines persists profiles; nil keeps them in memory only.
	Baselines warden.BaselineService
	// Now is the wall clock (time.Now).
	Now func() time.Time
}

func (c *Config) fill() {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.LearningPeriod, 7*24*time.Hour)
	defInt(&c.MinLearningEvents, 50)
	def(&c.Lateness, time.Minute)
	defInt(&c.MaxPending, 1<<14)
	def(&c.DormantAfter, 30*24*time.Hour)
	if c.RateFactor == 0 {
		c.RateFactor = 10
	}
	defInt(&c.RateMinEvents, 200)
	defInt(&c.MinRateHours, 24)
	def(&c.SecretWindow, 10*time.Minute)
	defInt(&c.SecretBurst, 10)
	defInt(&c.NamespaceBurst, 3)
	def(&c.DenyWindow, 5*time.Minute)
	defInt(&c.DenyBurst, 10)
	defInt(&c.DenyActions, 4)
	defInt(&c.DedupeWindow, 1<<16)
	if c.Now == nil {
		c.Now = time.Now
	}
}
