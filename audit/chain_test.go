package audit_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/audit"
)

func chain(n int) []*warden.AuditRecord {
	var out []*warden.AuditRecord
	prev := ""
	for i := 1; i <= n; i++ {
		r := &warden.AuditRecord{
			Seq: int64(i), Time: time.Date(2026, 11, 1, 9, 0, i, 123456000, time.UTC),
			Actor: "token:t1(ci)", Action: "identity.update", TargetType: "identity", TargetID: "id-1",
			Before: json.RawMessage(`{"owner":""}`), After: json.RawMessage(`{"owner":"team-a"}`),
		}
		audit.Seal(r, prev)
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

func verify(records []*warden.AuditRecord) (int64, error) {
	var v audit.Verifier
	for _, r := range records {
		if err := v.Check(r); err != nil {
			return r.Seq, err
		}
	}
	return 0, nil
}

// TestHash_StableVector pins the hash encoding: changing it would make every
// existing audit log fail verification.
func TestHash_StableVector(t *testing.T) {
	r := chain(1)[0]
	if r.PrevHash != audit.GenesisHash {
		t.Fatalf("first record prev hash %s", r.PrevHash)
	}
	const want = "60b67f7ab54e2eff472a3389bdec87876cdfbed846109150b88f2177ff8d121f"
	if r.Hash != want {
		t.Fatalf("hash of the reference record = %s, want %s: the encoding changed and existing logs would no longer verify", r.Hash, want)
	}
}

func TestVerifier_IntactChain(t *testing.T) {
	records := chain(5)
	var v audit.Verifier
	for _, r := range records {
		if err := v.Check(r); err != nil {
			t.Fatal(err)
		}
	}
	seq, hash := v.Head()
	if v.Count() != 5 || seq != 5 || hash != records[4].Hash {
		t.Fatalf("head %d %s count %d", seq, hash, v.Count())
	}
}

func TestVerifier_DetectsTampering(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func([]*warden.AuditRecord) []*warden.AuditRecord
		badSeq  int64
		problem string
	}{
		{"EditedActor", func(rs []*warden.AuditRecord) []*warden.AuditRecord { rs[2].Actor = "system"; return rs }, 3, "edited"},
		{"EditedAction", func(rs []*warden.AuditRecord) []*warden.AuditRecord { rs[1].Action = "identity.create"; return rs }, 2, "edited"},
		{"EditedTarget", func(rs []*warden.AuditRecord) []*warden.AuditRecord { rs[0].TargetID = "id-2"; return rs }, 1, "edited"},
		{"EditedBefore", func(rs []*warden.AuditRecord) []*warden.AuditRecord { rs[3].Before = json.RawMessage(`{}`); return rs }, 4, "edited"},
		{"EditedAfter", func(rs []*warden.AuditRecord) []*warden.AuditRecord {
			rs[3].After = json.RawMessage(`{"owner":"x"}`)
			return rs
		}, 4, "edited"},
		{"EditedTimeByOneMicrosecond", func(rs []*warden.AuditRecord) []*warden.AuditRecord {
			rs[4].Time = rs[4].Time.Add(time.Microsecond)
			return rs
		}, 5, "edited"},
		{"ResealedRecord", func(rs []*warden.AuditRecord) []*warden.AuditRecord {
			rs[2].Actor = "system"
			audit.Seal(rs[2], rs[2].PrevHash) // a forger recomputes one hash...
			return rs                         // ...and the next record no longer links
		}, 4, "prev_hash"},
		{"DeletedMiddle", func(rs []*warden.AuditRecord) []*warden.AuditRecord { return append(rs[:2], rs[3:]...) }, 4, "deleted"},
		{"DeletedFirst", func(rs []*warden.AuditRecord) []*warden.AuditRecord { return rs[1:] }, 2, "deleted"},
		{"Swapped", func(rs []*warden.AuditRecord) []*warden.AuditRecord { rs[1], rs[2] = rs[2], rs[1]; return rs }, 3, "deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, err := verify(tc.tamper(chain(5)))
			if err == nil || seq != tc.badSeq || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("got seq %d, %v; want seq %d mentioning %q", seq, err, tc.badSeq, tc.problem)
			}
		})
	}
}

// TestHash_FieldsAreUnambiguous checks that moving bytes between adjacent
// fields changes the hash (length prefixes, not separators).
func TestHash_FieldsAreUnambiguous(t *testing.T) {
	a := chain(1)[0]
	b := *a
	b.Actor, b.Action = a.Actor+"i", strings.TrimPrefix(a.Action, "i")
	if audit.Hash(a) == audit.Hash(&b) {
		t.Fatal("shifting a byte between fields keeps the hash")
	}
}
