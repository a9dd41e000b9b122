package traces

import (
	"strings"

	"github.com/org/k8s-e2e-report/internal/redact"
)

// Redact scrubs every string of the traces in place: span names, span tags and process
// tags. A tag whose key looks secret (http.request.header.x-api-key, env.DB_PASSWORD)
// loses its whole value, as an env var or a CR field does, and that value is masked
// wherever else the trace repeats it (an error message quoting the header); other values
// are scrubbed as text (db.statement's SQL, a URL's credentials). It returns the number
// of redactions.
func (d *Doc) Redact(rd *redact.Redactor) int {
	n := 0
	for i := range d.Data {
		t := &d.Data[i]
		// The values under secret-looking keys, first: they are masked everywhere.
		var known []string
		collect := func(kvs []KV) {
			for _, kv := range kvs {
				if s, ok := kv.Value.(string); ok && len(s) >= 6 && redact.LooksSecret(kv.Key) && s != redact.Mask {
					known = append(known, s)
				}
			}
		}
		for _, sp := range t.Spans {
			collect(sp.Tags)
		}
		for _, p := range t.Processes {
			collect(p.Tags)
		}
		unknown := func(s string) string {
			for _, k := range known {
				if strings.Contains(s, k) {
					s, n = strings.ReplaceAll(s, k, redact.Mask), n+1
				}
			}
			return s
		}
		str := func(s *string) {
			out, c := rd.String(unknown(*s))
			*s, n = out, n+c
		}
		tags := func(kvs []KV) {
			for i := range kvs {
				if s, ok := kvs[i].Value.(string); ok {
					out, c := rd.Field(kvs[i].Key, unknown(s))
					kvs[i].Value, n = out, n+c
				}
				str(&kvs[i].Key)
			}
		}
		for k := range t.Spans {
			sp := &t.Spans[k]
			str(&sp.OperationName)
			tags(sp.Tags)
		}
		for id, p := range t.Processes {
			str(&p.ServiceName)
			tags(p.Tags)
			t.Processes[id] = p
		}
	}
	return n
}
