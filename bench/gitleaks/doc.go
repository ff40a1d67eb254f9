// Package gitleaks benchmarks warden's secret scanner beside gitleaks on
// the same generated tree, in the same run, and compares their recall on
// warden's corpus. It is a separate module so that gitleaks' large module
// graph never enters warden's go.mod.
package gitleaks
