package schemacheck

import (
	"encoding/json"
	"slices"
	"sort"
	"testing"

	gschema "github.com/google/jsonschema-go/jsonschema"

	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/investigate"
)

// fromTypes is the schema the --json types make (inferred, as report.json's is).
func fromTypes(t *testing.T) map[string]any {
	t.Helper()
	s, err := gschema.For[investigate.Investigation](nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// sameShape compares two schemas' object trees: the same properties, the same required
// ones, at every level (arrays by their items). Types and constraints the hand-written
// schema adds (enums, formats, const) are its own.
func sameShape(t *testing.T, where string, hand, gen map[string]any) {
	t.Helper()
	if items, ok := gen["items"].(map[string]any); ok {
		hi, _ := hand["items"].(map[string]any)
		if hi == nil {
			t.Errorf("%s: the types make an array, schema.json does not", where)
			return
		}
		sameShape(t, where+"[]", hi, items)
		return
	}
	gp, _ := gen["properties"].(map[string]any)
	if gp == nil {
		return
	}
	hp, _ := hand["properties"].(map[string]any)
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if !slices.Equal(keys(hp), keys(gp)) {
		t.Errorf("%s: schema.json has properties %v, the types %v", where, keys(hp), keys(gp))
		return
	}
	req := func(m map[string]any) []string {
		var out []string
		for _, r := range m["required"].([]any) {
			out = append(out, r.(string))
		}
		sort.Strings(out)
		return out
	}
	if _, ok := gen["required"]; ok {
		if _, ok := hand["required"]; !ok || !slices.Equal(req(hand), req(gen)) {
			t.Errorf("%s: schema.json requires %v, the types %v", where, hand["required"], gen["required"])
		}
	}
	for _, k := range keys(gp) {
		sub, _ := gp[k].(map[string]any)
		hsub, _ := hp[k].(map[string]any)
		if sub != nil && hsub != nil {
			sameShape(t, where+"."+k, hsub, sub)
		}
	}
}

// schema.json, written by hand for its enums and formats, has the shape of the types
// --json encodes; the types' shape is recorded per investigate.Version, so a change fails
// until the version is bumped.
func TestSchemaMatchesTheTypes(t *testing.T) {
	var hand map[string]any
	if err := json.Unmarshal(investigate.Schema, &hand); err != nil {
		t.Fatal(err)
	}
	gen := fromTypes(t)
	sameShape(t, "$", hand, gen)
	b, _ := json.MarshalIndent(gen, "", "  ")
	golden.Versioned(t, "testdata/versions.txt", investigate.Version, b)
}
