package monitor

import "github.com/warden-nhi/warden"

// interner shares one copy of repeated strings (principals, actions, user
// agents, regions, addresses) among the events an engine holds, so that a
// held event costs its struct and its raw id rather than a dozen private
// strings. The table is forgotten when it reaches its limit: events
// already held keep their strings, and memory stays bounded.
type interner struct {
	m     map[string]string
	limit int
}

func newInterner(limit int) *interner {
	return &interner{m: make(map[string]string, limit), limit: limit}
}

// get returns the shared copy of s.
func (in *interner) get(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	if len(in.m) >= in.limit {
		clear(in.m)
	}
	in.m[s] = s
	return s
}

// event interns the repeating text fields of e in place that parsers
// allocate per record. ID and RawID are unique per event; Source,
// SourceRef, Provider and Outcome are constants or shared by a whole
// input already, so they are kept as they are.
func (in *interner) event(e *warden.Event) {
	for _, s := range []*string{&e.IdentityID, &e.Principal, &e.CredentialID, &e.Session,
		&e.Action, &e.Resource, &e.SourceIP, &e.UserAgent, &e.Region, &e.ErrorCode} {
		*s = in.get(*s)
	}
}
