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
		{http.MethodGet, Prefix + "findings", warden.PermInventoryRead, s.handleFindings},
		{http.MethodGet, Prefix + "findings/{id}", warden.PermInventoryRead, s.handleFinding},
		{http.MethodGet, Prefix + "findings/{id}/suppress", warden.PermInventoryWrite, s.handleSuppressForm},
		{http.MethodPost, Prefix + "findings/{id}/suppress", warden.PermInventoryWrite, s.handleSuppress},
		{http.MethodPost, Prefix + "findings/{id}/unsuppress", warden.PermInventoryWrite, s.handleUnsuppress},
		{http.MethodGet, Prefix + "detections", warden.PermInventoryRead, s.handleDetections},
		{http.MethodGet, Prefix + "access", warden.PermInventoryRead, s.handleAccessRequests},
		{http.MethodGet, Prefix + "access/{id}", warden.PermInventoryRead, s.handleAccessRequest},
		{http.MethodPost, Prefix + "access/{id}/approve", warden.PermAccessApprove, s.handleAccessApprove},
		{http.MethodPost, Prefix + "access/{id}/deny", warden.PermAccessApprove, s.handleAccessDeny},
		{http.MethodPost, Prefix + "access/{id}/revoke", warden.PermAccessApprove, s.handleAccessRevoke},
		{http.MethodPost, Prefix + "access/{id}/review", warden.PermAccessApprove, s.handleAccessReview},
		{http.MethodGet, Prefix + "decisions", warden.PermPolicyRead, s.handleDecisions},
		{http.MethodGet, Prefix + "policies", warden.PermPolicyRead, s.handlePolicies},
		{http.MethodGet, Prefix + "policies/{version}", warden.PermPolicyRead, s.handlePolicy},
		{http.MethodGet, Prefix + "audit", warden.PermAuditRead, s.handleAudit},
		{http.MethodGet, Prefix + "identities", warden.PermInventoryRead, s.handleIdentities},
		{http.MethodGet, Prefix + "identities/{id}", warden.PermInventoryRead, s.handleIdentity},
		{http.MethodGet, Prefix + "identities/{id}/edit", warden.PermInventoryWrite, s.handleIdentityEditForm},
		{http.MethodPost, Prefix + "identities/{id}/edit", warden.PermInventoryWrite, s.handleIdentityEdit},
		{http.MethodPost, Prefix + "identities/{id}/quarantine", warden.PermInventoryWrite, s.handleQuarantine},
		{http.MethodPost, Prefix + "identities/{id}/lift", warden.PermInventoryWrite, s.handleLift},
		{http.MethodPost, Prefix + "identities/{id}/revoke-issued", warden.PermIssuerManage, s.handleRevokeAllIssued},
		{http.MethodPost, Prefix + "issued/{id}/revoke", warden.PermIssuerManage, s.handleRevokeIssued},
		{http.MethodPost, Prefix + "owners/{id}/accept", warden.PermReviewAnswer, s.handleOwnerAccept},
		{http.MethodPost, Prefix + "owners/{id}/reject", warden.PermReviewAnswer, s.handleOwnerReject},
	}
}
