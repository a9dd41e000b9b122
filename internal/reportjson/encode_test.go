package reportjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/model"
)

// report.json is written field by field and element by element; the bytes are
// json.MarshalIndent's, for real reports and for the edge cases of its rules.
func TestEncodeIndentedIsMarshalIndent(t *testing.T) {
	demo, healthy := load(t, "demo"), load(t, "healthy")
	type inner struct {
		A string `json:"a,omitempty"`
		B []int  `json:"b"`
	}
	type edge struct {
		Zero    time.Time         `json:"zero,omitzero"`
		Empty   []string          `json:"empty,omitempty"`
		Nil     []string          `json:"nil"`
		None    []inner           `json:"none"`
		Some    []inner           `json:"some"`
		Map     map[string]int    `json:"map"`
		Ptr     *inner            `json:"ptr,omitempty"`
		Skipped string            `json:"-"`
		Raw     json.RawMessage   `json:"raw"`
		Bytes   []byte            `json:"bytes"`
		HTML    string            `json:"html"`
		Nested  map[string][]bool `json:"nested,omitempty"`
		NoTag   int
	}
	for name, v := range map[string]any{
		"demo":    demo,
		"healthy": healthy,
		"merged":  model.Merge([]string{"a", "b"}, []*model.Report{demo, healthy}),
		"edge": &edge{Some: []inner{{A: "x<y>&\u2028"}, {B: []int{}}}, Map: map[string]int{"b": 1, "a": 2},
			Raw: json.RawMessage(`{"k":[1,2]}`), Bytes: []byte("hi"), HTML: "<img onerror>"},
		"empty": &struct{}{},
	} {
		want, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeIndented(v, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, append(want, '\n')) {
			t.Errorf("%s: differs from MarshalIndent:\n got %q\nwant %q", name, got[:min(len(got), 400)], want[:min(len(want), 400)])
		}
	}
}

// report.json streams when the estimate says it fits; when the estimate was wrong (text
// that escapes to six times its size), the file starts over through the cuts and still
// keeps its budget.
func TestWriteJSONKeepsItsBudgetWhenTheEstimateIsWrong(t *testing.T) {
	r := load(t, "demo")
	c := *r
	c.Logs = append([]model.LogTail{{Pod: "p", Container: "c", Lines: []model.LogLine{{Text: strings.Repeat("<", 1<<20)}}}}, r.Logs...)
	const budget = 3 << 20
	f, err := os.CreateTemp(t.TempDir(), "report.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(f, &c, budget); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	var back model.Report
	if len(b) > budget || json.Unmarshal(b, &back) != nil || len(back.Cuts) == 0 {
		t.Errorf("report.json: %d bytes (budget %d), cuts %v", len(b), budget, back.Cuts)
	}
	// Within its budget, the streamed file is what MarshalIndent writes.
	f2, _ := os.CreateTemp(t.TempDir(), "report.json")
	defer f2.Close()
	if err := Write(f2, r, 0); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(f2.Name())
	want, _ := json.MarshalIndent(fromModel(r), "", "  ")
	if !bytes.Equal(got, append(want, '\n')) {
		t.Error("streamed report.json differs from MarshalIndent")
	}
}

func load(t *testing.T, name string) *model.Report {
	t.Helper()
	r, err := model.Load(context.Background(), filepath.Join("../../testdata/bundles", name), model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Read refuses a report of another version, and fills in what a foreign report leaves
// out: a shard's or a fork's report.json is never trusted to be whole.
func TestReadRefusesOtherVersionsAndNormalises(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, File), []byte(`{"version": 99, "status": {"level": "passed"}}`), 0o644)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("version 99: %v", err)
	}
	os.WriteFile(filepath.Join(dir, File), []byte(fmt.Sprintf(`{"version": %d}`, Version)), 0o644)
	r, err := Read(dir)
	if err != nil || r.Tests == nil || r.Tests.Cases == nil || r.Findings == nil || r.Gaps == nil || r.TestCounts == nil {
		t.Errorf("read %+v, %v", r, err)
	}
	if _, err := Read(filepath.Join(dir, "nosuch")); err == nil {
		t.Error("a missing directory reads")
	}
}

// FuzzRead: report.json comes from anyone's run (a shard, a fork's artifact). Whatever it
// holds, Read returns a report of this version with every slice there, or an error.
func FuzzRead(f *testing.F) {
	demo, _ := os.ReadFile("../render/testdata/golden/demo/report.json")
	f.Add(demo)
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":2,"findings":null,"failedTests":[{"case":null}],"pods":[{}],"tests":{"cases":[null]}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, File), b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Read(dir)
		if err != nil {
			return
		}
		if r.Findings == nil || r.Gaps == nil || r.Tests == nil {
			t.Fatalf("Read accepted a report it did not fill in: findings %v, gaps %v, tests %v", r.Findings == nil, r.Gaps == nil, r.Tests == nil)
		}
		// What Read accepts, render can write back.
		if _, err := Encode(r, 0); err != nil {
			t.Fatalf("Encode of what Read accepted: %v", err)
		}
	})
}
