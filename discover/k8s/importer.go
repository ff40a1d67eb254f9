package k8s

import (
	"context"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

var _ warden.Importer = (*Importer)(nil)

// Importer imports service accounts and their RBAC in one transaction.
type Importer struct {
	Store         warden.InventoryImporter
	MaxInputBytes int64
}

// Import implements warden.Importer.
func (im *Importer) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	report := discover.NewReport(Source, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	batch, warnings, err := Parse(in, ref)
	if err != nil {
		return nil, err
	}
	report.Records = len(batch.Identities)
	for _, w := range warnings {
		discover.Warn(report, "%s", w)
	}
	res, err := im.Store.ImportInventory(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	discover.AddInventory(report, res)
	return report, nil
}
