package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/warden-nhi/warden"
)

// testConcurrency creates and updates identities from many goroutines and
// checks that nothing is lost and the audit chain stays linear.
func testConcurrency(t *testing.T, open Opener) {
	db := open(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx := actorCtx(fmt.Sprint("worker-", w))
			for n := 0; n < each; n++ {
				i := sampleRole(fmt.Sprintf("w%d-n%d", w, n))
				if err := db.CreateIdentity(ctx, i); err != nil {
					errs <- err
					continue
				}
				if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Owner: ptr("team-x")}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, _, err := db.FindIdentities(context.Background(), warden.IdentityFilter{Owner: "team-x", Limit: 500})
	if err != nil || len(page) != workers*each {
		t.Fatalf("found %d identities, want %d (%v)", len(page), workers*each, err)
	}
	res, err := db.VerifyAudit(context.Background())
	if err != nil || !res.OK || res.Records != 2*workers*each {
		t.Fatalf("verify after concurrent writes: %+v, %v", res, err)
	}
}
