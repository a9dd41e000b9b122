package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/investigate"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/render"
)

// editJSON rewrites one JSON file of a bundle.
func editJSON(t *testing.T, path string, edit func(any) any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(edit(v), "", "  ")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// REPORT.md and investigate read one view of one bundle: the same findings in the same
// order, the same stale custom resources, the same failing reconciles. The demo bundle is
// given a stale APIGraph and a reconcile that ends in a fatal line.
func TestReportAndInvestigateAgree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := os.CopyFS(dir, os.DirFS("../../testdata/bundles/demo")); err != nil {
		t.Fatal(err)
	}
	// users: generation 3, its status still of generation 1.
	editJSON(t, filepath.Join(dir, "k8s", "resources.json"), func(v any) any {
		for _, it := range v.(map[string]any)["items"].([]any) {
			o := it.(map[string]any)
			if md := o["metadata"].(map[string]any); o["kind"] == "APIGraph" && md["name"] == "users" {
				md["generation"] = 3
			}
		}
		return v
	})
	// The operator's last reconcile of users logs at fatal level.
	log := filepath.Join(dir, "k8s", "logs", "turbo-engine-e2e", "operator-66f8d75986-p2hpt", "operator.log")
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`2026-11-21T23:31:00Z {"APIGraph":{"name":"users","namespace":"turbo-engine-e2e"},"controller":"apigraph","controllerKind":"APIGraph","level":"fatal","msg":"cannot reconcile","reconcileID":"f1","ts":"2026-11-21T23:31:00Z"}` + "\n")
	f.Close()
	s := &Service{Getenv: func(string) string { return "" }}
	out := t.TempDir()
	if _, _, err := s.Render(context.Background(), RenderOptions{Source: Source{Dir: dir}, Out: out}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, render.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report := string(md)
	inv, err := s.Investigate(context.Background(), InvestigateOptions{Source: Source{Dir: dir}, Load: model.Options{}, Build: investigate.Options{}})
	if err != nil {
		t.Fatal(err)
	}

	// Findings: investigate's ids, in its order, are REPORT.md's.
	var mdIDs []string
	for _, m := range regexp.MustCompile("(?m)^- id `([^`]+)`").FindAllStringSubmatch(report, -1) {
		mdIDs = append(mdIDs, m[1])
	}
	var invIDs []string
	for _, f := range inv.Findings {
		invIDs = append(invIDs, f.ID)
	}
	if strings.Join(mdIDs, " ") != strings.Join(invIDs, " ") || len(invIDs) == 0 {
		t.Errorf("findings differ:\nREPORT.md   %v\ninvestigate %v", mdIDs, invIDs)
	}

	// Stale custom resources.
	var stale []string
	for _, r := range inv.CustomResources {
		if r.Stale {
			stale = append(stale, r.Name)
		}
	}
	mdStale := regexp.MustCompile(`(?m)^\| [^|]* \| (\S+) \| \d+ \| \d+ \(stale\) \|`).FindAllStringSubmatch(report, -1)
	if len(stale) != 1 || stale[0] != "users" || len(mdStale) != 1 || mdStale[0][1] != "users" {
		t.Errorf("stale resources: investigate %v, REPORT.md %v", stale, mdStale)
	}

	// Failing reconciles: the fatal one too.
	var failing []string
	for _, rc := range inv.Operator {
		if rc.LastResult == "error" {
			failing = append(failing, rc.Object)
		}
	}
	line := regexp.MustCompile("(?m)^Last reconcile failed: (.*)$").FindStringSubmatch(report)
	if line == nil {
		t.Fatalf("REPORT.md names no failing reconcile; investigate: %v", failing)
	}
	mdFailing := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(line[1], -1)
	if len(failing) != 2 || len(mdFailing) != len(failing) {
		t.Fatalf("failing reconciles: investigate %v, REPORT.md %q", failing, line[1])
	}
	for i, m := range mdFailing {
		if m[1] != failing[i] {
			t.Errorf("failing reconcile %d: REPORT.md %s, investigate %s", i, m[1], failing[i])
		}
	}
}
