package owners

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Confidence of each piece of evidence on its own (0-100). Pieces for the
// same owner combine with warden.CombineConfidence, so a person who
// created both a user and its key (70 and 50) is suggested at 85.
const (
	// ConfidenceCreator: the person who created the identity usually asked
	// for it and knows what it is for.
	ConfidenceCreator = 70
	// ConfidenceKeyCreator: the person who created a key of the identity
	// handed it to whatever uses it.
	ConfidenceKeyCreator = 50
	// ConfidenceCreatorOwner: the owner of the automation (itself an
	// identity in the inventory) that created the identity or its key.
	ConfidenceCreatorOwner = 40
	// ConfidenceInteractive: the last person to use the identity
	// interactively (a console session) knows it, but may only borrow it.
	ConfidenceInteractive = 35
	// ConfidencePipeline: the repository or pipeline that uses it names
	// where to ask, not who answers.
	ConfidencePipeline = 30
	// interactiveScan bounds how many of an identity's latest events are
	// searched for interactive use.
	interactiveScan = 2 * warden.MaxPageSize
)

// ownerLabels are the label keys (the last segment of the key: tags
// arrive as tag/<key>, Kubernetes labels and annotations as k8s/<key>;
// compared case-insensitively) that name an owner, with their confidence. owner
// and team tags fill Owner at import when it is empty; they are here for
// identities whose owner was cleared or that another source imported.
var ownerLabels = map[string]int{
	"owner": 65, "team": 60, "owner-email": 65, "owner_email": 65, "owneremail": 65,
	"contact": 45, "technical-contact": 45, "maintainer": 45, "created-by": 50, "createdby": 50, "creator": 50,
	// github.user: the person a personal access token belongs to.
	"github.user": 70,
}

// candidate collects the evidence for one owner.
type candidate struct {
	owner    string
	evidence []warden.OwnerEvidence
}

type collector struct {
	current string // the identity's owner, never suggested
	byKey   map[string]*candidate
	order   []string
}

func newCollector(id *warden.Identity) *collector {
	return &collector{current: warden.OwnerKey(id.Owner), byKey: map[string]*candidate{}}
}

func (c *collector) add(owner string, e warden.OwnerEvidence) {
	owner = strings.TrimSpace(owner)
	key := warden.OwnerKey(owner)
	if key == "" || key == c.current || len(owner) > warden.MaxNameLen {
		return
	}
	cand, ok := c.byKey[key]
	if !ok {
		cand = &candidate{owner: owner}
		c.byKey[key] = cand
		c.order = append(c.order, key)
	}
	for _, have := range cand.evidence {
		if have.Kind == e.Kind && have.EventID == e.EventID && have.Label == e.Label {
			return // the same event or label twice
		}
	}
	cand.evidence = append(cand.evidence, e)
}

// suggestions turns the candidates into suggestions, strongest first.
func (c *collector) suggestions() []*warden.OwnerSuggestion {
	var out []*warden.OwnerSuggestion
	for _, key := range c.order {
		cand := c.byKey[key]
		ev := cand.evidence
		sort.SliceStable(ev, func(i, j int) bool { return ev[i].Confidence > ev[j].Confidence })
		if len(ev) > warden.MaxOwnerEvidence {
			ev = ev[:warden.MaxOwnerEvidence]
		}
		out = append(out, &warden.OwnerSuggestion{Owner: cand.owner, Confidence: warden.CombineConfidence(ev), Evidence: ev})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Confidence > out[j].Confidence })
	return out
}

// Evidence collects the owner suggestions for one identity from every
// configured source.
func (s *Service) Evidence(ctx context.Context, id *warden.Identity) ([]*warden.OwnerSuggestion, error) {
	c := newCollector(id)
	if err := s.fromProvenance(ctx, id, c); err != nil {
		return nil, err
	}
	fromLabels(id, c)
	if err := s.fromInteractiveUse(ctx, id, c); err != nil {
		return nil, err
	}
	if err := s.fromPipelines(ctx, id, c); err != nil {
		return nil, err
	}
	return c.suggestions(), nil
}

// fromProvenance: (a) who created the identity, (b) who created its keys.
// A creator that is itself an identity in the inventory (automation such
// as a CI user) is not a person: its owner, when it has one, is suggested
// instead, with less confidence.
func (s *Service) fromProvenance(ctx context.Context, id *warden.Identity, c *collector) error {
	if s.cfg.Provenance == nil {
		return nil
	}
	records, err := s.cfg.Provenance.FindProvenance(ctx, warden.ProvenanceFilter{IdentityID: id.ID, Limit: warden.MaxPageSize})
	if err != nil {
		return fmt.Errorf("owner evidence for %s: provenance: %w", id.ID, err)
	}
	for _, p := range records {
		if p.Creator == "" || strings.EqualFold(p.Creator, "root") {
			continue // the account's root user is not a person to own an identity
		}
		t := p.Time
		e := warden.OwnerEvidence{Kind: warden.OwnerEvidenceCreator, Confidence: ConfidenceCreator, EventID: p.EventID, EventSource: p.Source, Time: &t,
			Detail: fmt.Sprintf("%s created the identity (%s, %s event %s at %s).", p.Creator, p.Event, p.Source, p.EventID, t.UTC().Format(time.RFC3339))}
		if p.CredentialExternalID != "" {
			e.Kind, e.Confidence = warden.OwnerEvidenceKeyCreator, ConfidenceKeyCreator
			e.Detail = fmt.Sprintf("%s created its key %s (%s, %s event %s at %s).", p.Creator, p.CredentialExternalID, p.Event, p.Source, p.EventID, t.UTC().Format(time.RFC3339))
		}
		automation, err := s.automation(ctx, p)
		if err != nil {
			return fmt.Errorf("owner evidence for %s: %w", id.ID, err)
		}
		if automation != nil {
			if automation.Owner == "" || automation.ID == id.ID {
				continue
			}
			e.Confidence = ConfidenceCreatorOwner
			e.Detail = fmt.Sprintf("%s, which %s owns, %s", automation.Name, automation.Owner, lowerFirst(e.Detail))
			c.add(automation.Owner, e)
			continue
		}
		c.add(p.Creator, e)
	}
	return nil
}

// automation returns the inventory identity that made a provenance
// record's event, or nil when the creator is not one (a person). An IAM
// user with a console password (the credential report's console-password
// label) is taken for a person signing in, not for automation.
func (s *Service) automation(ctx context.Context, p *warden.Provenance) (*warden.Identity, error) {
	if p.CreatorRef == "" {
		return nil, nil
	}
	i, err := s.cfg.Identities.FindIdentityByRef(ctx, p.CreatorRef, p.Provider)
	switch warden.ErrorCode(err) {
	case "":
		if i.Labels["console-password"] == "true" {
			return nil, nil
		}
		return i, nil
	case warden.ENOTFOUND, warden.EINVALID:
		return nil, nil
	}
	return nil, fmt.Errorf("creator %s: %w", p.CreatorRef, err)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// fromLabels: (c) owner, team and contact tags and labels on the object.
func fromLabels(id *warden.Identity, c *collector) {
	keys := make([]string, 0, len(id.Labels))
	for k := range id.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(id.Labels[k])
		// tag/<key> (AWS tags), k8s/<key> (Kubernetes labels and
		// annotations, perhaps with a domain: k8s/example.com/owner).
		name := strings.ToLower(k[strings.LastIndexByte(k, '/')+1:])
		conf, ok := ownerLabels[name]
		if !ok || v == "" {
			continue
		}
		c.add(v, warden.OwnerEvidence{Kind: warden.OwnerEvidenceLabel, Confidence: conf, Label: k + "=" + v,
			Detail: fmt.Sprintf("The identity's label %s names %s.", k, v)})
	}
}

// fromInteractiveUse: (d) the person who last used the identity
// interactively: the session of its newest interactive event (a console
// session of an assumed role is named after the person who signed in)
// when the session names a person (an e-mail address).
func (s *Service) fromInteractiveUse(ctx context.Context, id *warden.Identity, c *collector) error {
	if s.cfg.Events == nil {
		return nil
	}
	f := warden.EventFilter{IdentityID: id.ID, Newest: true, Limit: warden.MaxPageSize}
	for seen := 0; seen < interactiveScan; {
		page, next, err := s.cfg.Events.FindEvents(ctx, f)
		if err != nil {
			return fmt.Errorf("owner evidence for %s: events: %w", id.ID, err)
		}
		for _, e := range page {
			if e.Interactive && personLike(e.Session) {
				t := e.Time
				c.add(e.Session, warden.OwnerEvidence{Kind: warden.OwnerEvidenceInteractive, Confidence: ConfidenceInteractive,
					EventID: e.RawID, EventSource: e.Source, Time: &t,
					Detail: fmt.Sprintf("%s last used the identity interactively (%s, %s event %s at %s).", e.Session, e.Action, e.Source, e.RawID, t.UTC().Format(time.RFC3339))})
				return nil
			}
		}
		seen += len(page)
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
	return nil
}

// personLike reports whether a session name names a person: an e-mail
// address, as identity centres and SSO name console sessions.
func personLike(session string) bool {
	at := strings.IndexByte(session, '@')
	return at > 0 && at < len(session)-1 && !strings.ContainsAny(session, " /")
}

// fromPipelines: (e) the repository or pipeline that uses the identity: a
// CI identity's repository label, or the GitHub repositories a role's
// trust policy lets assume it through GitHub's OIDC provider.
func (s *Service) fromPipelines(ctx context.Context, id *warden.Identity, c *collector) error {
	if repo := id.Labels["github.repo"]; repo != "" {
		c.add(repoOwner(repo), warden.OwnerEvidence{Kind: warden.OwnerEvidencePipeline, Confidence: ConfidencePipeline, Label: "github.repo=" + repo,
			Detail: fmt.Sprintf("The repository %s uses the identity.", repo)})
	}
	if s.cfg.Grants == nil || id.Provider != warden.ProviderAWS {
		return nil
	}
	grants, err := s.cfg.Grants.FindGrants(ctx, id.ID)
	if err != nil {
		return fmt.Errorf("owner evidence for %s: grants: %w", id.ID, err)
	}
	for _, g := range grants {
		if g.Kind != warden.GrantTrust || strings.EqualFold(g.Effect, "deny") || !trustsGitHub(g) {
			continue
		}
		for _, repo := range githubRepos(g.Conditions) {
			c.add(repoOwner(repo), warden.OwnerEvidence{Kind: warden.OwnerEvidencePipeline, Confidence: ConfidencePipeline, Label: "trust=" + g.Via,
				Detail: fmt.Sprintf("GitHub Actions workflows of %s may assume the identity (trust policy %s).", repo, g.Via)})
		}
	}
	return nil
}

// repoOwner is how a repository is named as an owner.
func repoOwner(repo string) string { return "github.com/" + repo }
