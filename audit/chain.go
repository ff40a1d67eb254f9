// Package audit computes and checks the hash chain of warden's append-only
// audit log. Stores call Seal inside the transaction that makes a change, and
// Verifier when an operator asks whether the log is intact.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/warden-nhi/warden"
)

// GenesisHash is the PrevHash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Hash returns the hex SHA-256 over the record's content and PrevHash. Each
// field is length-prefixed so that no two different records encode alike.
// Time is hashed at microsecond precision, the precision both stores keep.
func Hash(r *warden.AuditRecord) string {
	h := sha256.New()
	var buf []byte
	buf = append(buf, "warden-audit-v1"...)
	buf = binary.AppendVarint(buf, r.Seq)
	buf = binary.AppendVarint(buf, r.Time.UnixMicro())
	for _, field := range [][]byte{
		[]byte(r.Actor), []byte(r.Action), []byte(r.TargetType), []byte(r.TargetID),
		r.Before, r.After, []byte(r.PrevHash),
	} {
		buf = binary.AppendUvarint(buf, uint64(len(field)))
		buf = append(buf, field...)
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal links r after the record whose hash is prev and sets r.Hash.
func Seal(r *warden.AuditRecord, prev string) {
	if prev == "" {
		prev = GenesisHash
	}
	r.PrevHash = prev
	r.Hash = Hash(r)
}

// Verifier checks records fed to it in sequence order.
type Verifier struct {
	prevHash string
	prevSeq  int64
	count    int64
}

// Check verifies the next record. It returns an error describing the first
// problem: a gap in sequence numbers (a deleted row), a PrevHash that does
// not match (a deleted or reordered row) or a Hash that does not match the
// content (an edited row).
func (v *Verifier) Check(r *warden.AuditRecord) error {
	wantPrev := v.prevHash
	if v.count == 0 {
		wantPrev = GenesisHash
		if r.Seq != 1 {
			return fmt.Errorf("first record has sequence %d, want 1: earlier records were deleted", r.Seq)
		}
	} else if r.Seq != v.prevSeq+1 {
		return fmt.Errorf("sequence jumps from %d to %d: records were deleted", v.prevSeq, r.Seq)
	}
	if r.PrevHash != wantPrev {
		return fmt.Errorf("prev_hash %.12s… does not match the hash %.12s… of record %d", r.PrevHash, wantPrev, v.prevSeq)
	}
	if got := Hash(r); got != r.Hash {
		return fmt.Errorf("content does not match its hash (stored %.12s…, computed %.12s…): the record was edited", r.Hash, got)
	}
	v.prevHash, v.prevSeq = r.Hash, r.Seq
	v.count++
	return nil
}

// Count returns how many records passed.
func (v *Verifier) Count() int64 { return v.count }

// Head returns the sequence number and hash of the last record that passed.
func (v *Verifier) Head() (int64, string) { return v.prevSeq, v.prevHash }
