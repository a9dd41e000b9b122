package schemacheck

import "testing"

func TestSchemaRejectsWhatItShould(t *testing.T) {
	for _, bad := range []string{`{}`, `{"version":2}`, `not json`} {
		if ValidateJSON([]byte(bad)) == nil {
			t.Errorf("%s validates", bad)
		}
	}
}
