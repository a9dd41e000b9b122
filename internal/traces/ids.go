package traces

import (
	"slices"
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// The one rule on trace IDs, read by the OTLP decoder, the model (which links log lines
// and tests to traces) and the renderers (which link an ID to Jaeger's UI).
var (
	validID  = lazyre.New(`^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32})$`)
	idInText = lazyre.New(`\b[0-9a-fA-F]{32}\b`)
)

// ValidID reports a trace ID as Jaeger and OpenTelemetry write it: 16 or 32 hex digits
// (64 or 128 bits).
func ValidID(id string) bool { return validID().MatchString(id) }

// IDsIn returns the first max distinct W3C trace IDs (32 hex digits) a text names, in
// lower case (as traces.json keeps them). Shorter hex runs are too common in logs
// (commits, hashes) to be read as 64-bit IDs.
func IDsIn(text string, max int) []string {
	var out []string
	for _, m := range idInText().FindAllString(text, -1) {
		if id := strings.ToLower(m); !slices.Contains(out, id) {
			if out = append(out, id); len(out) == max {
				break
			}
		}
	}
	return out
}
