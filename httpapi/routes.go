package httpapi

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// Route is one endpoint of the API.
type Route struct {
	Method  string // GET, POST, PATCH or DELETE; a GET route also answers HEAD
	Pattern string // net/http ServeMux path pattern, e.g. /v1/identities/{ref}
	// Permission is what the caller's token role must grant; "" marks a
	// public route that needs no token.
	Permission warden.Permission

	handler http.HandlerFunc
}

// unmatchedRoute labels requests that match no route in metrics and logs.
const unmatchedRoute = "unmatched"

// routeTable is the one list of the server's routes. Tests walk it through
// Routes to check authentication, roles and the OpenAPI document.
func (s *Server) routeTable() []Route {
	const (
		public = warden.Permission("")
		read   = warden.PermInventoryRead
		write  = warden.PermInventoryWrite
	)
	return []Route{
		{"GET", "/healthz", public, s.handleHealthz},
		{"GET", "/readyz", public, s.handleReadyz},
		{"GET", "/metrics", warden.PermMetricsRead, s.handleMetrics},
		{"GET", "/v1/openapi.json", read, s.handleOpenAPI},
		{"GET", "/v1/whoami", read, s.handleWhoami},

		{"GET", "/v1/identities", read, s.handleListIdentities},
		{"POST", "/v1/identities", write, s.handleCreateIdentity},
		{"GET", "/v1/identities/{ref}", read, s.handleGetIdentity},
		{"PATCH", "/v1/identities/{ref}", write, s.handleUpdateIdentity},
		{"POST", "/v1/identities/{ref}/deprovision", write, s.handleDeprovisionIdentity},
		{"GET", "/v1/identities/{ref}/credentials", read, s.handleListIdentityCredentials},
		{"POST", "/v1/identities/{ref}/credentials", write, s.handleCreateCredential},
		{"GET", "/v1/identities/{ref}/rightsize", read, s.handleRightsize},

		{"GET", "/v1/enforcement", warden.PermPolicyRead, s.handleGetEnforcement},
		{"POST", "/v1/enforcement/settings", warden.PermPolicyWrite, s.handlePutEnforcement},
		{"DELETE", "/v1/enforcement/settings/{control}", warden.PermPolicyWrite, s.handleDeleteEnforcement},
		{"GET", "/v1/enforcement/events", read, s.handleListEnforcementEvents},

		{"GET", "/v1/credentials", read, s.handleListCredentials},
		{"GET", "/v1/credentials/{id}", read, s.handleGetCredential},
		{"PATCH", "/v1/credentials/{id}", write, s.handleUpdateCredential},

		{"GET", "/v1/leaks", read, s.handleListLeaks},
		{"POST", "/v1/leaks", write, s.handleReportLeaks},

		{"POST", "/v1/imports/{source}", write, s.handleImport},
		{"GET", "/v1/events", read, s.handleListEvents},
		{"POST", "/v1/events", write, s.handleIngestEvents},
		{"GET", "/v1/detections", read, s.handleListDetections},

		{"GET", "/v1/findings", read, s.handleListFindings},
		{"GET", "/v1/findings/{id}", read, s.handleGetFinding},
		{"POST", "/v1/findings/{id}/suppress", write, s.handleSuppressFinding},
		{"POST", "/v1/findings/{id}/unsuppress", write, s.handleUnsuppressFinding},
		{"GET", "/v1/governance/rules", read, s.handleListRules},
		{"POST", "/v1/governance/evaluate", write, s.handleEvaluate},
		{"GET", "/v1/governance/report", read, s.handleReport},
		{"GET", "/v1/posture", read, s.handleGetPosture},
		{"GET", "/v1/programme", read, s.handleGetProgramme},

		{"POST", "/v1/access/requests", warden.PermAccessRequest, s.handleRequestAccess},
		{"GET", "/v1/access/requests", read, s.handleListAccessRequests},
		{"GET", "/v1/access/requests/{id}", read, s.handleGetAccessRequest},
		{"GET", "/v1/access/requests/{id}/usage", read, s.handleGrantUsage},
		{"POST", "/v1/access/requests/{id}/approve", warden.PermAccessApprove, s.handleApproveAccess},
		{"POST", "/v1/access/requests/{id}/deny", warden.PermAccessApprove, s.handleDenyAccess},
		{"POST", "/v1/access/requests/{id}/revoke", warden.PermAccessApprove, s.handleRevokeAccess},
		{"POST", "/v1/access/requests/{id}/review", warden.PermAccessApprove, s.handleReviewAccess},
		{"POST", "/v1/access/requests/{id}/token", workloadToken, s.handleGrantToken},
		{"POST", "/v1/access/breakglass", warden.PermAccessRequest, s.handleBreakGlass},

		{"POST", "/v1/reviews", write, s.handleStartReview},
		{"GET", "/v1/reviews", read, s.handleListReviews},
		{"GET", "/v1/reviews/{id}", read, s.handleGetReview},
		{"GET", "/v1/reviews/{id}/items", read, s.handleListReviewItems},
		{"POST", "/v1/reviews/items/{id}/answer", warden.PermReviewAnswer, s.handleAnswerReview},
		{"POST", "/v1/onboarding/requests", warden.PermOnboardRequest, s.handleRequestOnboarding},
		{"POST", "/v1/onboarding/claims", warden.PermOnboardRequest, s.handleClaimIdentity},
		{"GET", "/v1/onboarding/requests", read, s.handleListOnboarding},
		{"GET", "/v1/onboarding/requests/{id}", read, s.handleGetOnboarding},
		{"POST", "/v1/onboarding/requests/{id}/approve", warden.PermAccessApprove, s.handleApproveOnboarding},
		{"POST", "/v1/onboarding/requests/{id}/deny", warden.PermAccessApprove, s.handleDenyOnboarding},

		{"POST", "/v1/offboarding", write, s.handleOffboard},
		{"POST", "/v1/offboarding/import", write, s.handleOffboardImport},
		{"GET", "/v1/offboarding", read, s.handleListOffboardings},
		{"GET", "/v1/offboarding/{id}", read, s.handleGetOffboarding},

		{"GET", "/v1/owners/suggestions", read, s.handleListOwnerSuggestions},
		{"POST", "/v1/owners/suggest", write, s.handleSuggestOwners},
		{"POST", "/v1/owners/suggestions/{id}/accept", warden.PermReviewAnswer, s.handleAcceptOwnerSuggestion},
		{"POST", "/v1/owners/suggestions/{id}/reject", warden.PermReviewAnswer, s.handleRejectOwnerSuggestion},

		{"GET", "/v1/audit", warden.PermAuditRead, s.handleListAudit},
		{"GET", "/v1/audit/verify", warden.PermAuditRead, s.handleVerifyAudit},

		{"GET", "/v1/tokens", warden.PermTokensManage, s.handleListTokens},
		{"POST", "/v1/tokens", warden.PermTokensManage, s.handleCreateToken},
		{"DELETE", "/v1/tokens/{id}", warden.PermTokensManage, s.handleRevokeToken},

		{"POST", "/v1/authorize", warden.PermAuthorize, s.handleAuthorize},
		{"POST", "/v1/authorize/batch", warden.PermAuthorize, s.handleAuthorizeBatch},
		{"GET", "/v1/authorize/nginx", warden.PermAuthorize, s.handleNginxAuth},
		{"GET", "/v1/decisions", warden.PermPolicyRead, s.handleListDecisions},
		{"GET", "/v1/policies", warden.PermPolicyRead, s.handleListPolicies},
		{"POST", "/v1/policies", warden.PermPolicyWrite, s.handlePushPolicies},
		{"POST", "/v1/policies/validate", warden.PermPolicyRead, s.handleValidatePolicies},
		{"POST", "/v1/policies/rollback", warden.PermPolicyWrite, s.handleRollbackPolicies},
		{"GET", "/v1/policies/guardrails", warden.PermPolicyRead, s.handleListGuardrails},
		{"GET", "/v1/policies/{version}", warden.PermPolicyRead, s.handleGetPolicies},
		{"POST", "/v1/policies/{version}/activate", warden.PermPolicyWrite, s.handleActivatePolicies},
		{"GET", "/v1/entities", warden.PermPolicyRead, s.handleListEntities},
		{"POST", "/v1/entities", warden.PermPolicyWrite, s.handlePutEntities},
		{"DELETE", "/v1/entities/{type}/{id}", warden.PermPolicyWrite, s.handleDeleteEntity},

		// The issuer: public documents, workload routes (attested
		// workloads, not API tokens) and administration.
		{"GET", "/.well-known/openid-configuration", public, s.needIssuer(s.handleDiscovery)},
		{"GET", "/.well-known/jwks.json", public, s.needIssuer(s.handleJWKS)},
		{"GET", "/v1/bundle", public, s.needIssuer(s.handleBundle)},
		{"GET", "/v1/crl", public, s.needIssuer(s.handleCRL)},
		{"POST", "/v1/svid/x509", workloadAuth, s.handleIssueX509SVID},
		{"POST", "/v1/svid/jwt", workloadAuth, s.handleIssueJWTSVID},
		{"POST", "/v1/oauth2/token", workloadAuth, s.handleOAuthToken},
		{"POST", "/v1/oauth2/introspect", workloadAuth, s.handleOAuthIntrospect},
		{"POST", "/v1/oauth2/revoke", workloadAuth, s.handleOAuthRevoke},
		{"GET", "/v1/issuer/entries", warden.PermIssuerRead, s.needIssuer(s.handleListEntries)},
		{"POST", "/v1/issuer/entries", warden.PermIssuerManage, s.needIssuer(s.handleCreateEntry)},
		{"GET", "/v1/issuer/entries/{id}", warden.PermIssuerRead, s.needIssuer(s.handleGetEntry)},
		{"DELETE", "/v1/issuer/entries/{id}", warden.PermIssuerManage, s.needIssuer(s.handleDeleteEntry)},
		{"POST", "/v1/issuer/entries/{id}/join-tokens", warden.PermIssuerManage, s.needIssuer(s.handleCreateJoinToken)},
		{"GET", "/v1/issuer/entries/{id}/join-tokens", warden.PermIssuerRead, s.needIssuer(s.handleListJoinTokens)},
		{"GET", "/v1/issuer/credentials", warden.PermIssuerRead, s.needIssuer(s.handleListIssued)},
		{"GET", "/v1/issuer/credentials/{id}", warden.PermIssuerRead, s.needIssuer(s.handleGetIssued)},
		{"POST", "/v1/issuer/revocations", warden.PermIssuerManage, s.needIssuer(s.handleRevokeIssued)},
	}
}

// Routes returns every registered route, in table order.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	copy(out, s.routes)
	return out
}
