package monitor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestOCSF_DetectionFindingGolden: an off-workload detection rendered as
// an OCSF 1.1 Detection Finding (class 2004) matches the golden file, and
// the finding carries what a SIEM keys on.
func TestOCSF_DetectionFindingGolden(t *testing.T) {
	d := sampleDetection()
	body, err := Payload(d, FormatOCSF, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden(t, "ocsf-off-workload.json", pretty.Bytes())

	var f struct {
		ClassUID    int   `json:"class_uid"`
		CategoryUID int   `json:"category_uid"`
		TypeUID     int   `json:"type_uid"`
		SeverityID  int   `json:"severity_id"`
		Time        int64 `json:"time"`
		Metadata    struct {
			Version string `json:"version"`
			UID     string `json:"uid"`
		} `json:"metadata"`
		FindingInfo struct {
			UID     string `json:"uid"`
			Attacks []struct {
				Technique struct{ UID string } `json:"technique"`
			} `json:"attacks"`
			Related []struct{ UID string } `json:"related_events"`
		} `json:"finding_info"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	if f.ClassUID != 2004 || f.CategoryUID != 2 || f.TypeUID != 200401 || f.SeverityID != 5 || f.Time != d.Time.UnixMilli() ||
		f.Metadata.Version != OCSFVersion || f.Metadata.UID != d.ID || f.FindingInfo.UID != d.ID ||
		len(f.FindingInfo.Attacks) != 1 || f.FindingInfo.Attacks[0].Technique.UID != "T1552.005" || len(f.FindingInfo.Related) != 2 {
		t.Fatalf("finding = %+v", f)
	}
}
