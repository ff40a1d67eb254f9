package aws

import (
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// applyTags copies AWS tags onto an identity: owner or team fills Owner,
// env or environment fills Environment (when it is a valid slug), and
// purpose or description fills Purpose, and every tag becomes a tag/<key> label.
func applyTags(id *warden.Identity, tags []tag) {
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "owner", "team":
			if id.Owner == "" {
				id.Owner = discover.CleanText(t.Value, warden.MaxNameLen)
			}
		case "purpose", "description":
			if id.Purpose == "" {
				id.Purpose = discover.CleanText(t.Value, warden.MaxTextLen)
			}
		case "env", "environment":
			if env, ok := discover.Slug(t.Value); ok {
				id.Environment = env
			}
		}
		discover.SetLabel(id, "tag/"+t.Key, t.Value)
	}
}

func setLabel(id *warden.Identity, key, value string) { discover.SetLabel(id, key, value) }
