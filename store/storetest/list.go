package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testIdentityList(t *testing.T, open Opener) {
	db := open(t)
	c := newClock()
	db.Now = c.now
	kinds := []warden.IdentityKind{warden.KindCloudRole, warden.KindServiceAccount, warden.KindAPIKey}
	providers := []warden.Provider{warden.ProviderAWS, warden.ProviderKubernetes, warden.ProviderGitHub}
	var all []*warden.Identity
	for n := 0; n < 60; n++ {
		c.advance(time.Minute)
		i := &warden.Identity{
			Kind: kinds[n%3], Provider: providers[n%3], ExternalID: fmt.Sprintf("ext-%03d", n),
			Name: fmt.Sprintf("svc-%c-%02d", 'a'+rune(n%7), n), Environment: []string{"prod", "dev"}[n%2],
			Managed: n%5 != 0, Labels: map[string]string{"team": []string{"red", "blue", "green"}[n%3]},
		}
		if n%4 != 0 {
			i.Owner = fmt.Sprintf("team-%d", n%3)
		}
		if n%3 != 0 {
			used := c.t.Add(-time.Duration(n) * time.Hour)
			i.LastUsedAt = &used
		}
		if n == 7 {
			i.Purpose = "Moves 100% of invoices_to ledger"
		}
		mustCreate(t, db, i)
		all = append(all, i)
	}
	ctx := context.Background()

	// collect follows every page of a filter and returns the external ids.
	collect := func(t *testing.T, f warden.IdentityFilter) []string {
		t.Helper()
		var ids []string
		seen := map[string]bool{}
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("pagination does not end")
			}
			page, next, err := db.FindIdentities(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > f.Limit && f.Limit > 0 {
				t.Fatalf("page of %d > limit %d", len(page), f.Limit)
			}
			for _, i := range page {
				if seen[i.ID] {
					t.Fatalf("identity %s returned twice", i.ExternalID)
				}
				seen[i.ID] = true
				ids = append(ids, i.ExternalID)
			}
			if next == "" {
				return ids
			}
			f.Cursor = next
		}
	}
	want := func(pred func(i *warden.Identity) bool, less func(a, b *warden.Identity) bool) []string {
		var sel []*warden.Identity
		for _, i := range all {
			if pred(i) {
				sel = append(sel, i)
			}
		}
		if less != nil {
			sort.SliceStable(sel, func(a, b int) bool { return less(sel[a], sel[b]) })
		}
		out := make([]string, len(sel))
		for n, i := range sel {
			out[n] = i.ExternalID
		}
		return out
	}
	any := func(*warden.Identity) bool { return true }
	lastUsed := func(i *warden.Identity) int64 {
		if i.LastUsedAt == nil {
			return 0
		}
		return i.LastUsedAt.UnixMicro()
	}

	for _, tc := range []struct {
		name   string
		filter warden.IdentityFilter
		want   []string
	}{
		{"AllDefaultOrder", warden.IdentityFilter{Limit: 7}, want(any, nil)},
		{"Kind", warden.IdentityFilter{Kind: warden.KindServiceAccount, Limit: 4}, want(func(i *warden.Identity) bool { return i.Kind == warden.KindServiceAccount }, nil)},
		{"Provider", warden.IdentityFilter{Provider: warden.ProviderGitHub}, want(func(i *warden.Identity) bool { return i.Provider == warden.ProviderGitHub }, nil)},
		{"Owner", warden.IdentityFilter{Owner: "team-1", Limit: 3}, want(func(i *warden.Identity) bool { return i.Owner == "team-1" }, nil)},
		{"Unowned", warden.IdentityFilter{Unowned: true, Limit: 5}, want(func(i *warden.Identity) bool { return i.Owner == "" }, nil)},
		{"Environment", warden.IdentityFilter{Environment: "dev"}, want(func(i *warden.Identity) bool { return i.Environment == "dev" }, nil)},
		{"Unmanaged", warden.IdentityFilter{Managed: ptr(false)}, want(func(i *warden.Identity) bool { return !i.Managed }, nil)},
		{"LabelValue", warden.IdentityFilter{Labels: map[string]string{"team": "blue"}, Limit: 6}, want(func(i *warden.Identity) bool { return i.Labels["team"] == "blue" }, nil)},
		{"LabelPresent", warden.IdentityFilter{Labels: map[string]string{"team": ""}}, want(any, nil)},
		{"LabelMissing", warden.IdentityFilter{Labels: map[string]string{"nope": ""}}, nil},
		{"QueryName", warden.IdentityFilter{Query: "SVC-C"}, want(func(i *warden.Identity) bool { return strings.Contains(i.Name, "svc-c") }, nil)},
		{"QueryLikeMetacharacters", warden.IdentityFilter{Query: "100% of invoices_to"}, []string{"ext-007"}},
		{"QueryPercentOnly", warden.IdentityFilter{Query: "%"}, []string{"ext-007"}},
		{"Combined", warden.IdentityFilter{Kind: warden.KindCloudRole, Environment: "prod", Unowned: true}, want(func(i *warden.Identity) bool {
			return i.Kind == warden.KindCloudRole && i.Environment == "prod" && i.Owner == ""
		}, nil)},
		{"SortName", warden.IdentityFilter{Sort: "name", Limit: 9}, want(any, func(a, b *warden.Identity) bool { return a.Name < b.Name })},
		{"SortNameDesc", warden.IdentityFilter{Sort: "-name", Limit: 9}, want(any, func(a, b *warden.Identity) bool { return a.Name > b.Name })},
		{"SortCreatedDesc", warden.IdentityFilter{Sort: "-created_at", Limit: 11}, want(any, func(a, b *warden.Identity) bool { return a.CreatedAt.After(b.CreatedAt) })},
		{"SortLastUsed", warden.IdentityFilter{Sort: "last_used_at", Limit: 8}, want(any, func(a, b *warden.Identity) bool {
			if lastUsed(a) != lastUsed(b) {
				return lastUsed(a) < lastUsed(b)
			}
			return a.ID < b.ID
		})},
		{"SortLastUsedDesc", warden.IdentityFilter{Sort: "-last_used_at", Limit: 8}, want(any, func(a, b *warden.Identity) bool {
			if lastUsed(a) != lastUsed(b) {
				return lastUsed(a) > lastUsed(b)
			}
			return a.ID > b.ID
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, tc.filter)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}

	t.Run("ErrBadCursor", func(t *testing.T) {
		for _, cur := range []string{"not-base64!", "e30", strings.Repeat("A", 5000)} {
			_, _, err := db.FindIdentities(ctx, warden.IdentityFilter{Cursor: cur})
			wantCode(t, err, warden.EINVALID)
			if warden.ErrorField(err) != "cursor" {
				t.Fatalf("cursor %q: field %q", cur, warden.ErrorField(err))
			}
		}
		_, next, err := db.FindIdentities(ctx, warden.IdentityFilter{Sort: "name", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = db.FindIdentities(ctx, warden.IdentityFilter{Sort: "-created_at", Cursor: next})
		wantCode(t, err, warden.EINVALID)
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		for field, f := range map[string]warden.IdentityFilter{
			"sort":  {Sort: "owner; DROP TABLE identities"},
			"limit": {Limit: 100000},
			"kind":  {Kind: "robot"},
		} {
			_, _, err := db.FindIdentities(ctx, f)
			wantCode(t, err, warden.EINVALID)
			if warden.ErrorField(err) != field {
				t.Errorf("%s: field %q", field, warden.ErrorField(err))
			}
		}
	})
}
