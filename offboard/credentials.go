package offboard

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// maxProvenance bounds the provenance records read for one person.
const maxProvenance = warden.MaxPageSize

// createdCredentials lists the credentials the person created, from the
// provenance records naming them as creator, joined to warden's
// credentials by public id (an AWS access key id). A record whose
// credential the inventory does not have is listed with its public id
// alone, so it is rotated all the same.
func (s *Service) createdCredentials(ctx context.Context, person string) ([]warden.RotationCredential, error) {
	if s.cfg.Provenance == nil {
		return nil, nil
	}
	records, err := s.cfg.Provenance.FindProvenance(ctx, warden.ProvenanceFilter{Creator: person, Limit: maxProvenance})
	if err != nil {
		return nil, fmt.Errorf("find credentials created by %s: %w", person, err)
	}
	var out []warden.RotationCredential
	seen := map[string]bool{}
	for _, p := range records {
		if p.CredentialExternalID == "" {
			continue // the person created an identity, not a credential
		}
		key := string(p.Provider) + "\x00" + p.CredentialExternalID
		if seen[key] {
			continue
		}
		seen[key] = true
		when := p.Time
		rc := warden.RotationCredential{
			IdentityID: p.IdentityID, PublicID: p.CredentialExternalID, Reason: warden.RotateCreatedByPerson,
			CreatedBy: createdBy(p), CreatedAt: &when,
		}
		if c, err := s.findCredential(ctx, p); err != nil {
			return nil, err
		} else if c != nil {
			rc.CredentialID, rc.IdentityID, rc.Type = c.ID, c.IdentityID, c.Type
		}
		out = append(out, rc)
	}
	return out, nil
}

// findCredential returns warden's credential with the record's public id,
// preferring one of the record's identity; nil when there is none.
func (s *Service) findCredential(ctx context.Context, p *warden.Provenance) (*warden.Credential, error) {
	if s.cfg.Credentials == nil {
		return nil, nil
	}
	creds, _, err := s.cfg.Credentials.FindCredentials(ctx, warden.CredentialFilter{IdentityID: p.IdentityID, PublicID: p.CredentialExternalID, Limit: 10})
	if err != nil {
		return nil, fmt.Errorf("find credential %s: %w", clip(p.CredentialExternalID), err)
	}
	if len(creds) == 0 {
		return nil, nil
	}
	return creds[0], nil
}

// createdBy describes the event that created a credential:
// "CreateAccessKey by arn:aws:iam::...:user/alice (cloudtrail 3f1c...)".
func createdBy(p *warden.Provenance) string {
	who := p.Creator
	if p.CreatorRef != "" {
		who = p.CreatorRef
	}
	s := p.Event + " by " + who
	if p.Source != "" || p.EventID != "" {
		s += " (" + p.Source
		if p.EventID != "" {
			s += " " + p.EventID
		}
		s += ")"
	}
	return s
}
