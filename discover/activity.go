package discover

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// Activity is what an activity parser found in one record beside the event.
type Activity struct {
	// Keep is false for records that concern no machine identity (a person
	// acting, a control-plane component): they are counted, not stored.
	Keep bool
	// Principal is who acted; created not onboarded when not in the inventory.
	Principal *warden.Identity
	// Credential is the long-lived credential used, recorded when new.
	Credential *warden.ImportedCredential
	// Created is an identity the record created (a CreateUser event),
	// upserted as not onboarded; CreatedCredential a credential it created
	// (a CreateAccessKey event), recorded when its identity is known.
	Created           *warden.Identity
	CreatedCredential *warden.ImportedCredential
	// Provenance says who created Created or CreatedCredential; stored
	// after the record's batch (see ActivitySink.Provenance).
	Provenance *warden.Provenance
}

// ReadActivity fills e from the next record and says what it found; more
// is false after the last record.
type ReadActivity func(e *warden.Event) (a Activity, more bool, err error)

// ImportActivity streams the records read returns into rec, one
// transaction per batch of batchSize (0: DefaultBatchSize), writing each
// batch while the next is parsed and calling progress after each. A
// parse error stops the import: batches before it are stored, nothing of
// its own batch is, and the error says how many events were stored.
func ImportActivity(ctx context.Context, rec warden.ActivityRecorder, report *warden.ImportReport, batchSize int, progress func(*warden.ImportReport), read ReadActivity) error {
	sink := NewActivitySink(rec, report, batchSize)
	sink.Progress = progress
	return ImportActivityTo(ctx, sink, report, read)
}

// ImportActivityTo is ImportActivity into a sink the caller configured
// (to record provenance, say).
func ImportActivityTo(ctx context.Context, sink *ActivitySink, report *warden.ImportReport, read ReadActivity) error {
	for {
		e := new(warden.Event)
		a, more, err := read(e)
		if err != nil {
			return stoppedAt(err, sink, report)
		}
		if !more {
			break
		}
		if !a.Keep {
			continue
		}
		if a.Credential != nil {
			sink.AddCredential(a.Credential)
		}
		if a.Created != nil {
			sink.AddIdentity(a.Created)
		}
		if a.CreatedCredential != nil {
			sink.AddCredential(a.CreatedCredential)
		}
		if a.Provenance != nil {
			sink.AddProvenance(a.Provenance)
		}
		if err := sink.Add(ctx, e, a.Principal); err != nil {
			_ = sink.Wait()
			return err
		}
	}
	return sink.Close(ctx)
}

// stoppedAt waits for the batch in flight and adds to a parse error how
// much was stored before it.
func stoppedAt(err error, sink *ActivitySink, report *warden.ImportReport) error {
	if werr := sink.Wait(); werr != nil {
		return werr
	}
	stored := report.Events.Created + report.Events.Unchanged
	if stored == 0 {
		return err
	}
	if derr, ok := err.(*warden.Error); ok {
		return &warden.Error{Code: derr.Code, Field: derr.Field, Message: fmt.Sprintf("%s (the %d events before its batch were stored)", derr.Message, stored)}
	}
	return err
}
