package warden

import "testing"

func TestSplitResourceRef(t *testing.T) {
	for _, tc := range []struct{ in, typ, id string }{
		{"Bucket::invoices", "Bucket", "invoices"},
		{"Acme::Table::orders", "Acme::Table", "orders"},
		{"S3Object::arn:aws:s3:::invoices/2026", "S3Object", "arn:aws:s3:::invoices/2026"},
		{"Bucket::*", "Bucket", "*"},
		{"k8s::Secret::prod/db", "k8s::Secret", "prod/db"},
	} {
		typ, id, ok := SplitResourceRef(tc.in)
		if !ok || typ != tc.typ || id != tc.id {
			t.Errorf("SplitResourceRef(%q) = %q, %q, %v; want %q, %q", tc.in, typ, id, ok, tc.typ, tc.id)
		}
	}
	for _, bad := range []string{"", "invoices", "::x", "Bucket::", "1Bucket::x", "Bucket:x"} {
		if _, _, ok := SplitResourceRef(bad); ok {
			t.Errorf("SplitResourceRef(%q) accepted", bad)
		}
	}
}

func TestAccessScopeCovers(t *testing.T) {
	scope := AccessScope{Actions: []string{"s3:Get*", "write"}, Resources: []string{"Bucket::invoices", "Table::*"}}
	for _, tc := range []struct {
		action, typ, id string
		want            bool
	}{
		{"s3:GetObject", "Bucket", "invoices", true},
		{"write", "Table", "orders", true},
		{"write", "Bucket", "payroll", false},
		{"s3:PutObject", "Bucket", "invoices", false},
		{"write", "Queue", "invoices", false},
	} {
		if got := scope.Covers(tc.action, tc.typ, tc.id); got != tc.want {
			t.Errorf("Covers(%s, %s::%s) = %v, want %v", tc.action, tc.typ, tc.id, got, tc.want)
		}
	}
	any := AccessScope{Actions: []string{"read"}}
	if !any.Covers("read", "Anything", "x") {
		t.Error("a scope without resources covers any resource")
	}
	role := AccessScope{Role: "payments-writer"}
	if role.Covers("read", "Bucket", "x") {
		t.Error("a role scope covers nothing by itself")
	}
}

func TestAccessScopeReadOnly(t *testing.T) {
	for _, tc := range []struct {
		actions []string
		want    bool
	}{
		{[]string{"get", "list", "watch"}, true},
		{[]string{"s3:GetObject", "s3:ListBucket", "dynamodb:Query"}, true},
		{[]string{"orders.read", "ec2:Describe*"}, true},
		{[]string{"s3:GetObject", "s3:PutObject"}, false},
		{[]string{"getaway"}, false},
		{[]string{"s3:*"}, false},
		{[]string{"*"}, false},
		{nil, false},
	} {
		s := AccessScope{Actions: tc.actions}
		if got := s.ReadOnly(); got != tc.want {
			t.Errorf("ReadOnly(%v) = %v, want %v", tc.actions, got, tc.want)
		}
	}
	if (&AccessScope{Role: "reader", Actions: []string{"get"}}).ReadOnly() {
		t.Error("a role scope is never read-only")
	}
}
