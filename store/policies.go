package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/warden-nhi/warden"
)

var _ warden.PolicyStore = (*DB)(nil)

const policyVersionColumns = "version, description, policies, schema_text, disabled_guardrails, digest, created_at, created_by"

// policyDigest is the hex SHA-256 of a version's content, in a canonical
// encoding (file names sorted).
func policyDigest(v *warden.PolicyVersion) string {
	names := make([]string, 0, len(v.Policies))
	for n := range v.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "file %d:%s %d:%s\n", len(n), n, len(v.Policies[n]), v.Policies[n])
	}
	fmt.Fprintf(h, "schema %d:%s\n", len(v.Schema), v.Schema)
	g := append([]string(nil), v.DisabledGuardrails...)
	sort.Strings(g)
	for _, id := range g {
		fmt.Fprintf(h, "disable %d:%s\n", len(id), id)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func scanPolicyVersion(s interface{ Scan(...any) error }) (*warden.PolicyVersion, error) {
	var v warden.PolicyVersion
	var policies, disabled string
	var created int64
	if err := s.Scan(&v.Version, &v.Description, &policies, &v.Schema, &disabled, &v.Digest, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(policies), &v.Policies); err != nil {
		return nil, fmt.Errorf("policy version %d: decode policies: %w", v.Version, err)
	}
	if err := json.Unmarshal([]byte(disabled), &v.DisabledGuardrails); err != nil {
		return nil, fmt.Errorf("policy version %d: decode disabled guardrails: %w", v.Version, err)
	}
	v.CreatedAt = fromMicro(created)
	return &v, nil
}

// CreatePolicyVersion stores a new inactive version, numbered one above
// the highest, with its audit record.
func (db *DB) CreatePolicyVersion(ctx context.Context, v *warden.PolicyVersion) error {
	if v.Policies == nil {
		v.Policies = map[string]string{}
	}
	if v.DisabledGuardrails == nil {
		v.DisabledGuardrails = []string{}
	}
	if len(v.Description) > warden.MaxTextLen {
		return warden.FieldErrorf("description", "description is longer than %d bytes", warden.MaxTextLen)
	}
	policies, _ := json.Marshal(v.Policies)
	disabled, _ := json.Marshal(v.DisabledGuardrails)
	v.Digest = policyDigest(v)
	v.CreatedAt = db.now()
	v.CreatedBy = warden.ActorFromContext(ctx).String()
	v.Active, v.ActivatedAt = false, nil
	return db.tx(ctx, func(tx *sql.Tx) error {
		// The audit chain's lock serialises writers, so MAX+1 is unique.
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM policy_versions").Scan(&v.Version); err != nil {
			return fmt.Errorf("create policy version: %w", err)
		}
		_, err := tx.ExecContext(ctx, db.q("INSERT INTO policy_versions ("+policyVersionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			v.Version, v.Description, string(policies), v.Schema, string(disabled), v.Digest, micro(v.CreatedAt), v.CreatedBy)
		if err != nil {
			return fmt.Errorf("create policy version: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "policy.push", targetType: "policy_version", targetID: fmt.Sprint(v.Version), after: v})
	})
}

// FindPolicyVersion returns one version with its content.
func (db *DB) FindPolicyVersion(ctx context.Context, version int64) (*warden.PolicyVersion, error) {
	return findPolicyVersion(ctx, db.db, db, version)
}

func findPolicyVersion(ctx context.Context, q querier, db *DB, version int64) (*warden.PolicyVersion, error) {
	v, err := scanPolicyVersion(q.QueryRowContext(ctx, db.q("SELECT "+policyVersionColumns+" FROM policy_versions WHERE version = ?"), version))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "policy version %d not found", version)
	} else if err != nil {
		return nil, fmt.Errorf("find policy version %d: %w", version, err)
	}
	cur, err := currentActivation(ctx, q, db)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Version == v.Version {
		v.Active, v.ActivatedAt = true, &cur.Time
	}
	return v, nil
}

// FindPolicyVersions lists versions newest first, without their content.
func (db *DB) FindPolicyVersions(ctx context.Context) ([]*warden.PolicyVersion, error) {
	rows, err := db.db.QueryContext(ctx, "SELECT "+policyVersionColumns+" FROM policy_versions ORDER BY version DESC")
	if err != nil {
		return nil, fmt.Errorf("find policy versions: %w", err)
	}
	defer rows.Close()
	out := []*warden.PolicyVersion{}
	for rows.Next() {
		v, err := scanPolicyVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("find policy versions: %w", err)
		}
		v.Policies = nil
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find policy versions: %w", err)
	}
	cur, err := currentActivation(ctx, db.db, db)
	if err != nil {
		return nil, err
	}
	for _, v := range out {
		if cur != nil && v.Version == cur.Version {
			v.Active, v.ActivatedAt = true, &cur.Time
		}
	}
	return out, nil
}

// ActivePolicyVersion returns the active version with its content.
func (db *DB) ActivePolicyVersion(ctx context.Context) (*warden.PolicyVersion, error) {
	cur, err := currentActivation(ctx, db.db, db)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, warden.Errorf(warden.ENOTFOUND, "no policy version has been activated")
	}
	return db.FindPolicyVersion(ctx, cur.Version)
}

const activationColumns = "seq, version, previous, action, time, actor"

func scanActivation(s interface{ Scan(...any) error }) (*warden.PolicyActivation, error) {
	var a warden.PolicyActivation
	var t int64
	if err := s.Scan(&a.Seq, &a.Version, &a.Previous, &a.Action, &t, &a.Actor); err != nil {
		return nil, err
	}
	a.Time = fromMicro(t)
	return &a, nil
}

// currentActivation returns the latest activation, or nil.
func currentActivation(ctx context.Context, q querier, db *DB) (*warden.PolicyActivation, error) {
	a, err := scanActivation(q.QueryRowContext(ctx, "SELECT "+activationColumns+" FROM policy_activations ORDER BY seq DESC LIMIT 1"))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read active policy version: %w", err)
	}
	return a, nil
}

// ActivatePolicyVersion makes version active. Activating the active version
// changes nothing.
func (db *DB) ActivatePolicyVersion(ctx context.Context, version int64) (*warden.PolicyActivation, error) {
	var out *warden.PolicyActivation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		if _, err := findPolicyVersion(ctx, tx, db, version); err != nil {
			return err
		}
		cur, err := currentActivation(ctx, tx, db)
		if err != nil {
			return err
		}
		if cur != nil && cur.Version == version {
			out = cur
			return nil
		}
		out, err = db.recordActivation(ctx, tx, cur, version, previousOf(cur), "activate")
		return err
	})
	return out, err
}

// RollbackPolicyVersion re-activates the version active before the current
// one; repeated rollbacks walk further back in the history.
func (db *DB) RollbackPolicyVersion(ctx context.Context) (*warden.PolicyActivation, error) {
	var out *warden.PolicyActivation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		cur, err := currentActivation(ctx, tx, db)
		if err != nil {
			return err
		}
		if cur == nil || cur.Previous == 0 {
			return warden.Errorf(warden.ECONFLICT, "there is no earlier active policy version to roll back to")
		}
		target := cur.Previous
		// The rolled-back-to version's own predecessor becomes the next
		// rollback target: find the activation that last made it active.
		var before int64
		err = tx.QueryRowContext(ctx, db.q("SELECT previous FROM policy_activations WHERE version = ? AND seq < ? ORDER BY seq DESC LIMIT 1"), target, cur.Seq).Scan(&before)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("rollback policy version: %w", err)
		}
		out, err = db.recordActivation(ctx, tx, cur, target, before, "rollback")
		return err
	})
	return out, err
}

func previousOf(cur *warden.PolicyActivation) int64 {
	if cur == nil {
		return 0
	}
	return cur.Version
}

// recordActivation appends an activation row making version active and
// audits it. previous is the version a later rollback returns to.
func (db *DB) recordActivation(ctx context.Context, tx *sql.Tx, cur *warden.PolicyActivation, version, previous int64, action string) (*warden.PolicyActivation, error) {
	a := &warden.PolicyActivation{Seq: 1, Version: version, Previous: previous, Action: action, Time: db.now(), Actor: warden.ActorFromContext(ctx).String()}
	if cur != nil {
		a.Seq = cur.Seq + 1
	}
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO policy_activations ("+activationColumns+") VALUES (?, ?, ?, ?, ?, ?)"),
		a.Seq, a.Version, a.Previous, a.Action, micro(a.Time), a.Actor)
	if err != nil {
		return nil, fmt.Errorf("%s policy version %d: %w", action, version, db.mapError(err))
	}
	var before any
	if cur != nil {
		before = cur
	}
	err = db.appendAudit(ctx, tx, auditEntry{action: "policy." + action, targetType: "policy_set", targetID: fmt.Sprint(version), before: before, after: a})
	return a, err
}
