package x509

import (
	"context"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

var _ warden.Importer = (*Importer)(nil)

// DefaultMaxInputBytes bounds a PEM input: bundles are small.
const DefaultMaxInputBytes = 64 << 20

// Store is what the importer needs: the inventory, and the credentials
// already recorded to notice a key reused by another certificate.
type Store interface {
	warden.InventoryImporter
	FindCredentials(ctx context.Context, filter warden.CredentialFilter) ([]*warden.Credential, string, error)
	FindIdentityByID(ctx context.Context, id string) (*warden.Identity, error)
}

// Importer imports the certificates of one PEM input in one transaction.
type Importer struct {
	Store         Store
	MaxInputBytes int64 // 0 means DefaultMaxInputBytes
}

// Import implements warden.Importer.
func (im *Importer) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	limit := im.MaxInputBytes
	if limit <= 0 {
		limit = DefaultMaxInputBytes
	}
	return discover.ImportInventory(ctx, im.Store, Source, r, ref, limit, Parse, func(batch *warden.InventoryBatch, report *warden.ImportReport) error {
		var err error
		batch.Credentials, err = im.keepOwnKeys(ctx, *batch, report)
		return err
	})
}

// keepOwnKeys drops, with a warning, the credentials whose key is already
// recorded on another certificate (a renewal that kept its key): a key is
// one credential, and it stays on the certificate that first had it.
func (im *Importer) keepOwnKeys(ctx context.Context, batch warden.InventoryBatch, report *warden.ImportReport) ([]*warden.ImportedCredential, error) {
	out := batch.Credentials[:0]
	for _, ic := range batch.Credentials {
		found, _, err := im.Store.FindCredentials(ctx, warden.CredentialFilter{Type: warden.CredentialCertificate, PublicID: ic.Credential.PublicID, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("look up certificate keys: %w", err)
		}
		if len(found) == 0 {
			out = append(out, ic)
			continue
		}
		owner, err := im.Store.FindIdentityByID(ctx, found[0].IdentityID)
		if err != nil {
			return nil, fmt.Errorf("look up certificate keys: %w", err)
		}
		if owner.Provider == ic.Identity.Provider && owner.ExternalID == ic.Identity.ExternalID {
			out = append(out, ic)
			continue
		}
		discover.Warn(report, "certificate %s reuses the key of %s %q, which is already in the inventory; the key stays recorded there", ic.Identity.ExternalID, owner.Provider, owner.ExternalID)
	}
	return out, nil
}
