package k8s

import (
	"context"
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
	return discover.ImportInventory(ctx, im.Store, Source, r, ref, im.MaxInputBytes, Parse, nil)
}
