// Package monitor is warden's behavioural monitoring and response: it keeps
// a baseline of each non-human identity's activity (source networks and
// addresses, user-agent families, regions, actions, resources, hours and
// rate), runs detectors for stolen and misused machine credentials over the
// normalised activity stream, and answers detections with playbooks
// (alert, quarantine, revoke issued credentials, disable) and alert sinks
// (signed webhooks, OCSF Detection Findings).
//
// Events are processed in event-time order per actor: an Engine holds each
// actor's recent events for a configurable lateness window and releases
// them sorted, drops duplicates by (source, raw id), and still learns from
// events that arrive after the window.
package monitor
