package opactions

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/golden"
)

func TestParseReaderGolden(t *testing.T) {
	f, err := os.Open("testdata/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &Parser{Fields: DefaultFields(), Year: 2026}
	got, err := p.ParseReader(f, Action{Namespace: "ns", Pod: "operator-1", Container: "manager"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(got, "", "  ")
	golden.Assert(t, "testdata/mixed.golden.json", b)
}

func TestLineFields(t *testing.T) {
	p := &Parser{Fields: DefaultFields(), Year: 2026}
	a, ok := p.Line(`{"level":"error","ts":1767225640.4,"msg":"Reconciler error","controller":"apigraph","controllerKind":"APIGraph","APIGraph":{"name":"orders","namespace":"turbo-engine-e2e"},"reconcileID":"7c2e9d44","error":"denied"}`)
	if !ok {
		t.Fatal("not parsed")
	}
	if a.Level != "error" || a.Controller != "apigraph" || a.ReconcileID != "7c2e9d44" || a.Error != "denied" || a.Object.String() != "APIGraph/turbo-engine-e2e/orders" {
		t.Errorf("got %+v object %v", a, a.Object)
	}
	if want := time.Unix(1767225640, 400000000).UTC(); !a.Time.Round(time.Millisecond).Equal(want) {
		t.Errorf("time = %v, want %v", a.Time, want)
	}
	k, ok := p.Line(`E0101 00:02:01.500000       1 controller.go:150] "Reconciler error" err="timeout \"x\"" controller="route" object="ns/r1" reconcileID="abc-1"`)
	if !ok || k.Error != `timeout "x"` || k.Message != "Reconciler error" || k.Object.String() != "ns/r1" || k.Level != "error" {
		t.Errorf("klog: ok=%v %+v", ok, k)
	}
	if !k.Time.Equal(time.Date(2026, 1, 1, 0, 2, 1, 500000000, time.UTC)) {
		t.Errorf("klog time = %v", k.Time)
	}
	if _, ok := p.Line(`{"level":"info","msg":"heartbeat"}`); ok {
		t.Error("an unrelated info line counted as an action")
	}
}

func TestTimestampPrefix(t *testing.T) {
	p := &Parser{Fields: DefaultFields(), Year: 2026}
	a, ok := p.Line(`2026-03-04T05:06:07.123456789Z {"msg":"sync","reconcileID":"r-1"}`)
	if !ok || a.ReconcileID != "r-1" || !a.Time.Equal(time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)) {
		t.Errorf("prefixed line: ok=%v %+v", ok, a)
	}
	// The line's own time wins over the prefix.
	a, _ = p.Line(`2026-03-04T05:06:07Z {"ts":"2026-01-01T00:00:00Z","msg":"sync","reconcileID":"r-1"}`)
	if !a.Time.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("time = %v, want the line's own", a.Time)
	}
}

func TestCustomFields(t *testing.T) {
	f := DefaultFields()
	if err := f.Set("reconcileID=rid"); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("bogus=x"); err == nil || !strings.Contains(err.Error(), "--operator-field") {
		t.Errorf("bad role: err = %v", err)
	}
	p := &Parser{Fields: f}
	a, ok := p.Line(`{"msg":"sync","rid":"r-9"}`)
	if !ok || a.ReconcileID != "r-9" {
		t.Errorf("custom reconcileID field: ok=%v %+v", ok, a)
	}
}

func TestOverlongLineSkipped(t *testing.T) {
	long := `{"msg":"` + strings.Repeat("x", MaxLine+10) + `","reconcileID":"a"}`
	in := long + "\n" + `{"msg":"after","reconcileID":"b"}` + "\n"
	p := &Parser{Fields: DefaultFields()}
	got, err := p.ParseReader(strings.NewReader(in), Action{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ReconcileID != "b" || got[0].Line != 2 {
		t.Errorf("got %+v", got)
	}
}

func FuzzLine(f *testing.F) {
	b, _ := os.ReadFile("testdata/mixed.log")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p := &Parser{Fields: DefaultFields(), Year: 2026}
		a, ok := p.Line(line)
		if ok && a.Message == "" {
			t.Errorf("action without a message from %q", line)
		}
	})
}

// Numeric levels read as slog writes them (ERROR=8, WARN=4, INFO=0, DEBUG=-4) and zap
// writes logr's V-levels (negative): a WARN at 4 was "debug".
func TestNumericLevels(t *testing.T) {
	p := &Parser{Fields: DefaultFields(), Year: 2026}
	for lvl, want := range map[string]string{"8": "error", "12": "error", "4": "warning", "0": "info", "2": "info", "-4": "debug", "-1": "debug"} {
		a, ok := p.Line(`{"level":` + lvl + `,"msg":"sync","reconcileID":"r-1"}`)
		if !ok || a.Level != want {
			t.Errorf("level %s: ok=%v level %q, want %q", lvl, ok, a.Level, want)
		}
	}
	if !(Action{Level: "fatal"}).Failed() || !(Action{Error: "x"}).Failed() || (Action{Level: "warning"}).Failed() {
		t.Error("Failed: fatal and an error fail, a warning does not")
	}
}
