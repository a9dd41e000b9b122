package reportjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	gschema "github.com/google/jsonschema-go/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// generateSchema is report.json's JSON Schema, inferred from the wire types.
func generateSchema(t *testing.T) []byte {
	t.Helper()
	s, err := gschema.For[Report](nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Schema = "https://json-schema.org/draft/2020-12/schema"
	s.ID = SchemaID
	s.Title = "ci-report report.json, version " + strconv.Itoa(Version)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// report.schema.json is what the wire types say (go test ./internal/reportjson -update
// regenerates it).
func TestSchemaIsGenerated(t *testing.T) {
	golden.Assert(t, SchemaFile, generateSchema(t))
}

// The schema's shape is recorded per version in testdata/schema-versions.txt: a change of
// shape under a version already recorded fails until Version (and SchemaID) are bumped.
func TestSchemaSnapshot(t *testing.T) {
	golden.Versioned(t, "testdata/schema-versions.txt", Version, generateSchema(t))
	if !strings.Contains(SchemaID, fmt.Sprintf(".v%d.", Version)) {
		t.Errorf("SchemaID %s does not name version %d", SchemaID, Version)
	}
}

// validate checks a report.json against report.schema.json.
func validate(t *testing.T, doc []byte) error {
	t.Helper()
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, sch); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("report.schema.json does not compile: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return compiled.Validate(v)
}

// Every report.json render writes validates: the committed goldens, the demo and healthy
// bundles encoded now, and a merged report. A document of another shape does not.
func TestReportsValidate(t *testing.T) {
	for _, name := range []string{"demo", "healthy"} {
		b, err := os.ReadFile(filepath.Join("../render/testdata/golden", name, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, b); err != nil {
			t.Errorf("golden %s/report.json: %v", name, err)
		}
	}
	rd, _ := redact.New(nil)
	demo, err := model.Load(context.Background(), "../../testdata/bundles/demo", model.Options{Redactor: rd})
	if err != nil {
		t.Fatal(err)
	}
	merged := model.Merge([]string{"a", "b"}, []*model.Report{demo, load(t, "healthy")})
	for name, r := range map[string]*model.Report{"demo": demo, "merged": merged} {
		b, err := Encode(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		var top map[string]any
		json.Unmarshal(b, &top)
		if top["$schema"] != SchemaID {
			t.Errorf("%s: $schema %v", name, top["$schema"])
		}
	}
	for _, bad := range []string{`{}`, `{"version":"2"}`, `{"$schema":"x","version":2,"timeline":[{"object":"Pod/a/b"}]}`} {
		if validate(t, []byte(bad)) == nil {
			t.Errorf("%s validates", bad)
		}
	}
}
