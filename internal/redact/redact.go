// Package redact keeps secrets out of every output: it scrubs log lines and free text
// with gitleaks' maintained default rules plus ci-report's own rules for Kubernetes, CLI
// and log shapes (key=value pairs, flags, URLs with credentials, headers, PEM and JWT
// spanning lines), and redacts Kubernetes objects (Secret data, secret-looking fields,
// env vars, annotations and arguments, last-applied configurations).
package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Mask replaces every redacted value.
const Mask = "[REDACTED]"

// Redactor scrubs text and objects with two rule sets: gitleaks' maintained default
// rules (hundreds of vendor token formats, prefiltered by keyword) and ci-report's own
// rules for the shapes secrets take in Kubernetes objects, CLIs and logs. It is safe for
// concurrent use.
type Redactor struct {
	rules    []rule // the built-in rules, then the user's
	leaks    *leaks // set once ready is closed
	leaksErr error
	ready    chan struct{}

	mu     sync.Mutex
	counts map[string]int
}

// OrDefault is r, or a Redactor with the built-in rules when r is nil.
func OrDefault(r *Redactor) *Redactor {
	if r == nil {
		r, _ = New(nil)
	}
	return r
}

// New returns a Redactor with the built-in rules and the extra patterns (Go regexps;
// whatever matches is replaced by the mask).
func New(extra []string) (*Redactor, error) {
	// gitleaks' rules compile in the background (a tenth of a second): a caller reads its
	// inputs meanwhile, and the first scrub waits for them.
	r := &Redactor{rules: append([]rule(nil), builtin...), counts: map[string]int{}, ready: make(chan struct{})}
	go func() {
		r.leaks, r.leaksErr = defaultLeaks()
		close(r.ready)
	}()
	for i, p := range extra {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("--redact %q: %w", p, err)
		}
		r.rules = append(r.rules, rule{name: fmt.Sprintf("user-%d", i+1), re: func() *regexp.Regexp { return re }, repl: Mask})
	}
	if len(r.rules) > 64 {
		return nil, fmt.Errorf("--redact: at most %d patterns", 64-len(builtin))
	}
	return r, nil
}

// own rules to run on a text whose scan found h: those with a hint in it, and every
// rule without hints (the user's).
func (r *Redactor) ownSet(h *hits) uint64 {
	set := h.own
	for i := len(builtin); i < len(r.rules); i++ {
		set |= 1 << i
	}
	for i, ru := range builtin {
		if len(ru.hint) == 0 {
			set |= 1 << i
		}
	}
	return set
}

// Counts returns how many redactions each rule made so far.
func (r *Redactor) Counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}

func (r *Redactor) add(name string, n int) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	r.counts[name] += n
	r.mu.Unlock()
}

// String scrubs s and returns the result and the number of redactions.
func (r *Redactor) String(s string) (string, int) {
	if s == "" {
		return s, 0
	}
	s, total, h := r.own(s)
	s, n := r.lk().scrubScanned(s, h, r.add)
	return s, total + n
}

// own applies ci-report's own rules; it returns the scan of the result, for the
// gitleaks rules.
func (r *Redactor) own(s string) (string, int, *hits) { return r.ownScanned(s, nil) }

// ownScanned is own with s's scan already made (nil: not yet).
func (r *Redactor) ownScanned(s string, h *hits) (string, int, *hits) {
	total := 0
	if strings.IndexByte(s, 0x1b) >= 0 {
		// A coloured key ("\x1b[33mpassword\x1b[0m=…") must not hide its value.
		s = ansi().ReplaceAllString(s, "")
		h = nil
	}
	if h == nil {
		h = r.lk().scan(s)
	}
	set := r.ownSet(h)
	for i := range r.rules {
		if set&(1<<i) == 0 {
			continue
		}
		out, n := r.rules[i].apply(s)
		if n > 0 {
			r.add(r.rules[i].name, n)
			total += n
			s = out
			h = r.lk().scan(s) // a mask can enable a later rule
			set |= r.ownSet(h)
		}
	}
	return s, total, h
}

var ansi = lazyre.New(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)`)

// Object redacts a Kubernetes object (as decoded JSON) in place and returns the
// number of redactions. Secrets keep metadata, type, and key names with sizes.
func (r *Redactor) Object(obj map[string]any) int {
	n := 0
	kind, _ := obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	if kind == "Secret" && (apiVersion == "v1" || apiVersion == "") {
		for _, field := range []string{"data", "stringData"} {
			if data, ok := obj[field].(map[string]any); ok {
				for k, v := range data {
					size := 0
					if s, ok := v.(string); ok {
						size = len(s)
						if field == "data" {
							if b, err := base64.StdEncoding.DecodeString(s); err == nil {
								size = len(b)
							}
						}
					}
					data[k] = fmt.Sprintf("%s (%d bytes)", Mask, size)
					n++
				}
			}
		}
		r.add("secret-data", n)
		if md, ok := obj["metadata"].(map[string]any); ok {
			if ann, ok := md["annotations"].(map[string]any); ok {
				if _, ok := ann["kubectl.kubernetes.io/last-applied-configuration"]; ok {
					ann["kubectl.kubernetes.io/last-applied-configuration"] = Mask
					r.add("last-applied-configuration", 1)
					n++
				}
			}
		}
	}
	return n + r.walk(obj, "")
}

// Field scrubs the value of a named field: a tag, a label, a map entry. A name that
// looks secret (x-api-key, env.DB_PASSWORD, http.request.header.authorization) masks
// the whole value; otherwise the value is scrubbed as text.
func (r *Redactor) Field(key, value string) (string, int) {
	if LooksSecret(key) && !keepValue(key, value) {
		r.add("field", 1)
		return Mask, 1
	}
	return r.String(value)
}

// walk redacts secret-looking env vars, annotations, fields (ConfigMap data keys such
// as DB_PASSWORD, CR fields such as spec.credentials.password or secretAccessKey) and
// the value after a secret-looking flag in args and command lists, re-redacts
// last-applied configurations, and scrubs every string.
func (r *Redactor) walk(v any, key string) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			switch {
			case k == "env":
				n += r.env(child)
			case k == "annotations":
				n += r.annotations(child)
			case k == "managedFields":
				delete(t, k)
				continue
			}
			if s, ok := child.(string); ok {
				if k == "env" || k == "annotations" {
					out, c := r.String(s)
					t[k], n = out, n+c
					continue
				}
				out, c := r.Field(k, s)
				t[k], n = out, n+c
				continue
			}
			n += r.walk(child, k)
		}
	case []any:
		flagValue := false
		for i, child := range t {
			if s, ok := child.(string); ok {
				if flagValue && (key == "args" || key == "command") && !strings.HasPrefix(s, "-") && !keepValue("password", s) {
					t[i] = Mask
					r.add("flag", 1)
					n++
					flagValue = false
					continue
				}
				flagValue = secretFlag(s)
				out, c := r.String(s)
				t[i] = out
				n += c
				continue
			}
			flagValue = false
			n += r.walk(child, key)
		}
	}
	return n
}

// secretFlag reports an argument like --db-password whose value is the next argument.
func secretFlag(s string) bool {
	if !strings.HasPrefix(s, "-") || strings.Contains(s, "=") {
		return false
	}
	return LooksSecret(strings.TrimLeft(s, "-"))
}

func (r *Redactor) env(v any) int {
	list, ok := v.([]any)
	if !ok {
		return 0
	}
	n := 0
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if _, has := m["value"]; has && LooksSecret(name) {
			if s, _ := m["value"].(string); s != Mask {
				m["value"] = Mask
				n++
			}
		}
	}
	r.add("env", n)
	return n
}

func (r *Redactor) annotations(v any) int {
	ann, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	n := 0
	for k, val := range ann {
		s, _ := val.(string)
		if s == Mask {
			continue
		}
		if strings.HasSuffix(k, "last-applied-configuration") {
			var inner map[string]any
			if json.Unmarshal([]byte(s), &inner) == nil {
				c := r.Object(inner)
				if c > 0 {
					b, _ := json.Marshal(inner)
					ann[k] = string(b)
					n += c
				}
				continue
			}
		}
		if LooksSecret(k) {
			ann[k] = Mask
			r.add("annotation", 1)
			n++
		}
	}
	return n
}

// lk is gitleaks' rules, once compiled. They are embedded in the binary and a test loads
// them, so failing here is a broken build, not bad input.
func (r *Redactor) lk() *leaks {
	<-r.ready
	if r.leaksErr != nil {
		panic(fmt.Sprintf("load gitleaks' default rules: %v", r.leaksErr))
	}
	return r.leaks
}
