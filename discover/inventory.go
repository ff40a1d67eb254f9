package discover

import (
	"context"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
)

// ParseInventory parses a whole inventory export (GAAD, a credential
// report, RBAC lists, PEM certificates) into one batch and warnings.
type ParseInventory func(r io.Reader, ref string) (warden.InventoryBatch, []string, error)

// ImportInventory opens r (gzip accepted, at most maxBytes; 0 means
// DefaultMaxInputBytes), parses it and stores the batch in one
// transaction. prepare, when set, may change the batch before it is stored
// and add warnings to the report.
func ImportInventory(ctx context.Context, store warden.InventoryImporter, source string, r io.Reader, ref string, maxBytes int64,
	parse ParseInventory, prepare func(*warden.InventoryBatch, *warden.ImportReport) error) (*warden.ImportReport, error) {
	report := NewReport(source, ref)
	in, err := Open(r, ref, maxBytes)
	if err != nil {
		return nil, err
	}
	batch, warnings, err := parse(in, ref)
	if err != nil {
		return nil, err
	}
	report.Records = len(batch.Identities)
	for _, w := range warnings {
		Warn(report, "%s", w)
	}
	if prepare != nil {
		if err := prepare(&batch, report); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	}
	res, err := store.ImportInventory(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	AddInventory(report, res)
	return report, nil
}
