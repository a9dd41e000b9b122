// Package schemacheck validates investigate --json output against its JSON Schema. It is
// a package of its own so that the validator (and its start-up cost) stays out of the
// ci-report binary: tests and consumers import it.
package schemacheck

import (
	"bytes"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/org/k8s-e2e-report/internal/investigate"
)

// ValidateJSON checks a --json output against schema.json (for tests and for consumers that
// want to be sure of what they read).
func ValidateJSON(out []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(investigate.Schema))
	if err != nil {
		return fmt.Errorf("schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		return err
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		return fmt.Errorf("schema.json does not compile: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(v)
}
