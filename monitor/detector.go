package monitor

import (
	"github.com/warden-nhi/warden"
)

// Detector describes one detector: what it looks for and how it maps to
// MITRE ATT&CK and the OWASP Non-Human Identities Top 10 (2025).
type Detector struct {
	ID            string          `json:"id"`
	Severity      warden.Severity `json:"severity"` // default severity; a detection may raise it
	Technique     string          `json:"technique"`
	TechniqueName string          `json:"technique_name"`
	OWASP         string          `json:"owasp"`
	Description   string          `json:"description"`
	// Baselined detectors compare with the actor's own history and stay
	// silent while its profile is still learning.
	Baselined bool `json:"baselined"`

	check func(c *check) *hit
}

// check is the input of a detector for one event: the actor's profile
// before the event is learned, the event and its features.
type check struct {
	cfg     *Config
	p       *Profile
	e       *warden.Event
	f       *features
	learned bool
	scratch map[string]bool // a set the detector may clear and reuse
}

// hit is what a detector found.
type hit struct {
	severity    warden.Severity // "" for the detector's default
	technique   string          // "" for the detector's default
	explanation string
	evidence    []*warden.Event // oldest first; the current event is appended when absent
	extraIDs    []string        // raw ids of evidence no longer in memory, before evidence
}

// Detector ids.
const (
	DetNewNetwork   = "new-source-network"
	DetOffWorkload  = "off-workload-credential"
	DetNewAgent     = "new-user-agent"
	DetRateSpike    = "rate-spike"
	DetBulkSecrets  = "bulk-secret-reads"
	DetDenyProbing  = "access-denied-probing"
	DetDormant      = "dormant-identity-active"
	DetHumanUse     = "human-use"
	DetPersistence  = "persistence"
	DetLogTampering = "audit-log-tampering"
)

// Detectors is the catalog, in the order they run on each event.
var Detectors = []*Detector{
	{ID: DetLogTampering, Severity: warden.SeverityCritical, Technique: "T1562.008", TechniqueName: "Impair Defenses: Disable or Modify Cloud Logs", OWASP: "NHI5",
		Description: "Audit logging stopped, deleted or narrowed (CloudTrail StopLogging/DeleteTrail, GitHub audit-log streaming removed).", check: checkTampering},
	{ID: DetPersistence, Severity: warden.SeverityHigh, Technique: "T1098.001", TechniqueName: "Account Manipulation: Additional Cloud Credentials", OWASP: "NHI7",
		Description: "New credentials, login profiles, trust-policy changes or privilege bindings created by an identity that has not done so before.", check: checkPersistence},
	{ID: DetOffWorkload, Severity: warden.SeverityHigh, Technique: "T1552.005", TechniqueName: "Unsecured Credentials: Cloud Instance Metadata API", OWASP: "NHI2",
		Description: "A workload session's credential (EC2 instance profile, pod service-account token) used from a network its workload never used.", check: checkOffWorkload},
	{ID: DetNewNetwork, Severity: warden.SeverityMedium, Technique: "T1078.004", TechniqueName: "Valid Accounts: Cloud Accounts", OWASP: "NHI2", Baselined: true,
		Description: "The identity acted from a source network (/24, or /16 for private addresses) outside its baseline.", check: checkNewNetwork},
	{ID: DetNewAgent, Severity: warden.SeverityLow, Technique: "T1078.004", TechniqueName: "Valid Accounts: Cloud Accounts", OWASP: "NHI2", Baselined: true,
		Description: "The identity used a user-agent family (SDK, CLI, browser) outside its baseline; version upgrades are not new families.", check: checkNewAgent},
	{ID: DetRateSpike, Severity: warden.SeverityMedium, Technique: "T1530", TechniqueName: "Data from Cloud Storage", OWASP: "NHI5", Baselined: true,
		Description: "Events in one hour far above the identity's own hourly history.", check: checkRateSpike},
	{ID: DetBulkSecrets, Severity: warden.SeverityHigh, Technique: "T1555.006", TechniqueName: "Credentials from Password Stores: Cloud Secrets Management Stores", OWASP: "NHI5",
		Description: "Many distinct secrets or parameters read, or Kubernetes secrets read across namespaces, within minutes, beyond what the identity did while learning.", check: checkBulkSecrets},
	{ID: DetDenyProbing, Severity: warden.SeverityMedium, Technique: "T1580", TechniqueName: "Cloud Infrastructure Discovery", OWASP: "NHI5",
		Description: "Many access denials over several different actions within minutes: someone exploring what a credential may do.", check: checkDenyProbing},
	{ID: DetDormant, Severity: warden.SeverityMedium, Technique: "T1078.004", TechniqueName: "Valid Accounts: Cloud Accounts", OWASP: "NHI1",
		Description: "An identity idle for longer than the dormancy period is active again.", check: checkDormant},
	{ID: DetHumanUse, Severity: warden.SeverityMedium, Technique: "T1078.004", TechniqueName: "Valid Accounts: Cloud Accounts", OWASP: "NHI10",
		Description: "Console, browser or interactive use of a non-human identity.", check: checkHumanUse},
}

// DetectorByID returns the catalog entry with the id, or nil.
func DetectorByID(id string) *Detector {
	for _, d := range Detectors {
		if d.ID == id {
			return d
		}
	}
	return nil
}
