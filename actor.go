package warden

import "context"

// Actor is who makes a change: an API token, the CLI run by an operator on
// the database host, or warden itself. Audit records carry its String form.
type Actor struct {
	Type string // "token", "cli" or "system"
	ID   string // token id, OS user, or component name
	Name string // token name, when known
	Role Role   // the token's role, when known
}

// String renders the actor for audit records, e.g. "token:0193...(ci-bot)".
func (a Actor) String() string {
	if a.Type == "" {
		return "system"
	}
	s := a.Type + ":" + a.ID
	if a.Name != "" {
		s += "(" + a.Name + ")"
	}
	return s
}

type actorKey struct{}

// NewContextWithActor returns a context carrying the actor.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or the system actor.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Type: "system", ID: "warden"}
}
