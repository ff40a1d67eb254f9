package console

import (
	"context"
	"slices"

	"github.com/warden-nhi/warden"
)

// identityNames returns the names of the identities with these ids, in
// one query when the identity service can find several at once, so that a
// list names each row's identity without a query per row. Without that
// ability it returns no names and the rows show ids.
func (s *Server) identityNames(ctx context.Context, ids []string) (map[string]string, error) {
	batch, ok := s.cfg.Identities.(warden.IdentityBatchFinder)
	names := map[string]string{}
	if !ok || len(ids) == 0 {
		return names, nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	found, err := batch.FindIdentitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, identity := range found {
		names[id] = identity.Name
	}
	return names, nil
}
