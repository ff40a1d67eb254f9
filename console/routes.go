package console

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// routes is the console's route table. Each page and action states the
// permission its session's role needs; public routes have none.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, Prefix + "login", "", s.handleSignInForm},
		{http.MethodPost, Prefix + "login", "", s.handleSignIn},
		{http.MethodGet, Prefix + "static/", "", s.handleStatic},
		{http.MethodPost, Prefix + "logout", warden.PermInventoryRead, s.handleSignOut},
		{http.MethodGet, Prefix + "{$}", warden.PermInventoryRead, s.handleOverview},
		{http.MethodGet, Prefix + "identities", warden.PermInventoryRead, s.handleIdentities},
	}
}
