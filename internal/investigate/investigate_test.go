package investigate

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/opactions"
)

func load(t *testing.T, name string) *model.Report {
	t.Helper()
	r, err := model.Load(context.Background(), "../../testdata/bundles/"+name, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Validate checks --json output against schema.json.
func Validate(t *testing.T, out []byte) {
	t.Helper()
	if err := validate(out); err != nil {
		t.Errorf("output does not match schema.json: %v", err)
	}
}

// validate is schemacheck.ValidateJSON, set by schema_test.go (an external test package:
// schemacheck imports this one).
var validate func([]byte) error

func TestDemoBundle(t *testing.T) {
	r := load(t, "demo")
	inv, err := Build(r, Options{Mode: "bundle", Bundle: "ci-report"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Findings) != len(r.Findings) || len(inv.Findings) == 0 {
		t.Fatalf("%d findings, report has %d", len(inv.Findings), len(r.Findings))
	}
	for i, f := range inv.Findings {
		if f.ID != r.Findings[i].ID || f.Rank != i+1 {
			t.Errorf("finding %d: id %s rank %d, report.json has %s", i, f.ID, f.Rank, r.Findings[i].ID)
		}
	}
	first := inv.Findings[0]
	if first.Category != "CrashLoopBackOff" || !strings.HasSuffix(first.Open, "builder.previous.log") {
		t.Errorf("first finding = %+v", first)
	}
	if len(first.Evidence) == 0 || !strings.Contains(strings.Join(first.Evidence, "\n"), "panic: assignment to entry in nil map") {
		t.Errorf("first finding's evidence does not show the panic: %q", first.Evidence)
	}
	var crash *Pod
	for i := range inv.Pods {
		if strings.HasPrefix(inv.Pods[i].Name, "builder-") {
			crash = &inv.Pods[i]
		}
	}
	if crash == nil || crash.Healthy || crash.LastTermination == nil || crash.LastTermination.ExitCode != 2 || crash.Restarts != 5 {
		t.Errorf("crashing pod = %+v", crash)
	}
	var op *Reconcile
	for i := range inv.Operator {
		if inv.Operator[i].Object == "APIGraph/turbo-engine-e2e/orders" {
			op = &inv.Operator[i]
		}
	}
	if op == nil || op.LastResult != "error" || op.Errors != 3 || !strings.Contains(op.LastError, "admission webhook") || inv.Operator[0].LastResult != "error" {
		t.Errorf("operator = %+v", inv.Operator)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, inv); err != nil {
		t.Fatal(err)
	}
	Validate(t, out.Bytes())
	out.Reset()
	if err := WriteText(&out, inv); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/demo.golden.txt", out.Bytes())
}

func TestHealthyIsEmpty(t *testing.T) {
	inv, err := Build(load(t, "healthy"), Options{Mode: "bundle"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status.Level != "passed" || len(inv.Findings) != 0 {
		t.Errorf("healthy: %+v", inv)
	}
	// The registry's logfmt warning (its message says "error") is a warning, not an error.
	for _, l := range inv.LogErrors {
		if l.Level != "warning" {
			t.Errorf("healthy bundle has an error line: %+v", l)
		}
	}
	for _, p := range inv.Pods {
		if !p.Healthy {
			t.Errorf("healthy pod reported unhealthy: %+v", p)
		}
	}
	var out bytes.Buffer
	WriteJSON(&out, inv)
	Validate(t, out.Bytes())
}

func TestFocus(t *testing.T) {
	r := load(t, "demo")
	inv, err := Build(r, Options{Mode: "bundle", Focus: "APIGraph/orders"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.CustomResources) != 1 || inv.CustomResources[0].Name != "orders" || len(inv.Pods) != 0 {
		t.Errorf("focus APIGraph/orders: resources %+v, pods %d", inv.CustomResources, len(inv.Pods))
	}
	for _, f := range inv.Findings {
		if f.Subject != "APIGraph/turbo-engine-e2e/orders" {
			t.Errorf("focus kept %s", f.Subject)
		}
	}
	if len(inv.Findings) != 2 || len(inv.Operator) != 1 {
		t.Errorf("focus: %d findings, %d operator objects", len(inv.Findings), len(inv.Operator))
	}
	for _, bad := range []string{"a//b", "/x", "a/b/c/d"} {
		if _, err := Build(r, Options{Focus: bad}); err == nil || !strings.Contains(err.Error(), "want POD, KIND/NAME") {
			t.Errorf("focus %q: %v", bad, err)
		}
	}
}

// Untrusted text cannot forge a section or a row, or drive the terminal.
func TestHostileTextStaysOnItsLine(t *testing.T) {
	r := &model.Report{Status: model.Status{Level: "failed", Detail: "x\nFINDINGS (0"},
		Findings: []findings.Finding{{ID: "TestFailed-00000000", Category: "TestFailed", Severity: findings.Error, Count: 1,
			Title: "t\n\nPODS (99)\nforged", Explanation: "\x1b]0;owned\x07\x1b[2Jcleared", Evidence: []string{"line\r\nGAPS (1)"}}},
		Logs: []model.LogTail{{Namespace: "ns", Pod: "p", Container: "c", File: "f", Lines: []model.LogLine{{Text: "E boom\nLOG ERRORS (5", Level: "error", Time: time.Now()}}}},
	}
	inv, err := Build(r, Options{Mode: "bundle"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteText(&out, inv)
	s := out.String()
	for _, h := range []string{"\nPODS (", "\nGAPS (", "\nLOG ERRORS (", "\nFINDINGS ("} {
		if strings.Count(s, h) != 1 {
			t.Errorf("section %q appears %d times:\n%s", h, strings.Count(s, h), s)
		}
	}
	if strings.ContainsAny(s, "\x1b\x07\r") {
		t.Errorf("escape or control characters reach the output: %q", s)
	}
	var j bytes.Buffer
	WriteJSON(&j, inv)
	var back Investigation
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || back.Findings[0].Title != r.Findings[0].Title {
		t.Errorf("JSON does not round-trip the text exactly: %v", err)
	}
}

// A reconcile that ends in a fatal line failed, as findings and the timeline say
// (opactions.Action.Failed is the one rule); investigate called it "ok".
func TestFatalReconcileFailed(t *testing.T) {
	r := load(t, "demo")
	obj := &opactions.Object{Kind: "APIGraph", Namespace: "turbo-engine-e2e", Name: "fatal-one"}
	r.OperatorActions = append(r.OperatorActions, opactions.Action{Time: time.Now(), Level: "fatal", Controller: "apigraph", Object: obj, Message: "cannot continue"})
	inv, err := Build(r, Options{Mode: "bundle"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range inv.Operator {
		if strings.HasSuffix(rc.Object, "/fatal-one") {
			if rc.LastResult != "error" || rc.Errors != 1 {
				t.Errorf("fatal reconcile: %+v, want last result error", rc)
			}
			return
		}
	}
	t.Errorf("the fatal reconcile is not listed: %+v", inv.Operator)
}
