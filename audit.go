package warden

import (
	"context"
	"encoding/json"
	"time"
)

// AuditRecord is one entry of the append-only, hash-chained audit log. Each
// record's Hash covers its fields and PrevHash, the Hash of the record
// before it, so editing or deleting a row breaks the chain.
type AuditRecord struct {
	Seq        int64           `json:"seq"`
	Time       time.Time       `json:"time"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"` // e.g. identity.create, token.revoke
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before"` // JSON of the object before the change, or null
	After      json.RawMessage `json:"after"`  // JSON of the object after the change, or null
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// AuditFilter selects audit records, oldest first unless Newest is set.
type AuditFilter struct {
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	// Newest lists the latest records first (a history view); the
	// default is the order of the chain, oldest first.
	Newest bool
	Cursor string
	Limit  int
}

// Validate normalises the page size.
func (f *AuditFilter) Validate() error { return normaliseLimit(&f.Limit) }

// AuditVerification is the result of checking the audit chain.
type AuditVerification struct {
	Records  int64  `json:"records"`   // records checked
	HeadSeq  int64  `json:"head_seq"`  // sequence number of the last record
	HeadHash string `json:"head_hash"` // hash of the last record; keep it elsewhere to detect truncation
	OK       bool   `json:"ok"`
	BadSeq   int64  `json:"bad_seq,omitempty"` // first record that fails, when !OK
	Problem  string `json:"problem,omitempty"` // what is wrong with it
}

// AuditService reads and checks the audit log. Records are written by the
// services that make changes, inside their transactions.
type AuditService interface {
	// FindAuditRecords returns a page of records, oldest first, and the next
	// cursor ("" on the last page).
	FindAuditRecords(ctx context.Context, filter AuditFilter) ([]*AuditRecord, string, error)

	// VerifyAudit walks the whole chain and reports the first broken record.
	VerifyAudit(ctx context.Context) (*AuditVerification, error)
}
