package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// A client assertion's jti is single-use. Recording it on its own costs a
// durable write (an fsync on SQLite) before the credential's own record —
// two per token request. When the request mints a credential, warden
// records the jti in the issuance transaction instead: one write, and a
// replay is still refused by the same unique key, on every replica, before
// the credential leaves the server. Requests that end without minting
// record the jti afterwards (SettleReplay), so a presented assertion is
// always used up.

// pendingJTI is a verified client assertion's id, not yet recorded.
type pendingJTI struct {
	issuer    string
	jti       string
	expiresAt time.Time
}

// jtiIssuanceRecorder is the optional store capability that records a
// used jti together with an issued credential.
type jtiIssuanceRecorder interface {
	RecordIssuedCredentialUsingJTI(ctx context.Context, c *warden.IssuedCredential, issuer, jti string, jtiExpiresAt time.Time) error
}

// jtiSweeper is the optional store capability that deletes expired jti
// records; Maintain calls it.
type jtiSweeper interface {
	SweepUsedJTIs(ctx context.Context) (int64, error)
}

// replayRefused is the error of a replayed client assertion.
func replayRefused() error {
	return unauthorized("client assertion jti was already used (replay)")
}

// record stores an issued credential, using up the caller's pending
// client-assertion jti in the same transaction when there is one.
func (is *Issuer) record(ctx context.Context, c *Caller, rec *warden.IssuedCredential) error {
	p := c.replay
	if p == nil {
		return is.store.RecordIssuedCredential(systemCtx(ctx), rec)
	}
	r, ok := is.store.(jtiIssuanceRecorder)
	if !ok {
		if err := is.useJTI(ctx, p); err != nil {
			return err
		}
		c.replay = nil
		return is.store.RecordIssuedCredential(systemCtx(ctx), rec)
	}
	if err := r.RecordIssuedCredentialUsingJTI(systemCtx(ctx), rec, p.issuer, p.jti, p.expiresAt); err != nil {
		if warden.ErrorCode(err) == warden.ECONFLICT {
			return replayRefused()
		}
		return err
	}
	c.replay = nil
	return nil
}

func (is *Issuer) useJTI(ctx context.Context, p *pendingJTI) error {
	if err := is.store.UseJTI(ctx, p.issuer, p.jti, p.expiresAt); err != nil {
		if warden.ErrorCode(err) == warden.ECONFLICT {
			return replayRefused()
		}
		return err
	}
	return nil
}

// SettleReplay records the caller's client-assertion jti if the request
// did not already record it with a credential. Callers that authenticated
// with Evidence.DeferReplayCheck must call it when the request ends,
// whatever its outcome; it is a no-op otherwise. A replay found here is
// EUNAUTHORIZED — the request minted nothing.
func (is *Issuer) SettleReplay(ctx context.Context, c *Caller) error {
	if c == nil || c.replay == nil {
		return nil
	}
	p := c.replay
	c.replay = nil
	if err := is.useJTI(ctx, p); err != nil {
		return fmt.Errorf("settle client assertion: %w", err)
	}
	return nil
}

// sweepJTIs deletes expired jti records off the request path.
func (is *Issuer) sweepJTIs(ctx context.Context) {
	s, ok := is.store.(jtiSweeper)
	if !ok {
		return
	}
	if n, err := s.SweepUsedJTIs(ctx); err != nil {
		is.logger.Error("issuer: sweep used token ids", "error", err)
	} else if n > 0 {
		is.logger.Debug("issuer: swept used token ids", "count", n)
	}
}
