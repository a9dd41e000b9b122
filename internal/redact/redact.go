// Package redact keeps secrets out of a bundle: it scrubs log lines and free text
// (bearer tokens, JWTs, cloud keys, PEM private keys, credentials in URLs, secret-looking
// key=value pairs, user patterns) and redacts Kubernetes objects (Secret data, secret-looking
// env vars and annotations, last-applied configurations).
package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces every redacted value.
const Mask = "[REDACTED]"

type rule struct {
	name string
	re   *regexp.Regexp
	repl string
	// hint is a cheap test on the lower-cased text: the regexp runs only when it may
	// match. Scrubbing is on the hot path of every log line.
	hint []string
}

func (ru *rule) mayMatch(lower string) bool {
	if len(ru.hint) == 0 {
		return true
	}
	for _, h := range ru.hint {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

// secretName matches names (env vars, annotations, keys) that look like they hold a secret.
var secretName = regexp.MustCompile(`(?i)(token|passw|secret|key|credential|auth|private|cookie|session)`)

var builtin = []rule{
	{"pem-private-key", regexp.MustCompile(`(?s)-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(-----END[A-Z ]*PRIVATE KEY-----|$)`), "-----BEGIN PRIVATE KEY-----" + Mask + "-----END PRIVATE KEY-----", []string{"private key"}},
	{"jwt", regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), Mask, []string{"eyj"}},
	{"bearer", regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*`), "${1}" + Mask, []string{"bearer"}},
	{"authorization", regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["']?(?:basic|token|digest)?\s*)[^\s"',]+`), "${1}" + Mask, []string{"authorization"}},
	{"url-credentials", regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@"'<>]+:[^/\s@"'<>]+@`), "${1}" + Mask + "@", []string{"://"}},
	{"aws-access-key", regexp.MustCompile(`\b(AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b`), Mask, []string{"akia", "asia", "agpa", "aida", "aroa"}},
	{"github-token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b`), Mask, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{"slack-token", regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`), Mask, []string{"xox"}},
	{"secret-assignment", regexp.MustCompile(`(?i)([\w.-]*(?:token|passw(?:or)?d|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential)[\w.-]*["']?\s*[:=]\s*["']?)([^\s"',;&]{3,})`), "${1}" + Mask,
		[]string{"token", "passw", "secret", "api_key", "api-key", "apikey", "access_key", "access-key", "accesskey", "private_key", "private-key", "privatekey", "credential"}},
}

// Redactor scrubs text and objects. It is safe for concurrent use.
type Redactor struct {
	rules []rule

	mu     sync.Mutex
	counts map[string]int
}

// New returns a Redactor with the built-in rules and the extra patterns (Go regexps;
// whatever matches is replaced by the mask).
func New(extra []string) (*Redactor, error) {
	r := &Redactor{rules: append([]rule(nil), builtin...), counts: map[string]int{}}
	for i, p := range extra {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("--redact %q: %w", p, err)
		}
		r.rules = append(r.rules, rule{name: fmt.Sprintf("user-%d", i+1), re: re, repl: Mask})
	}
	return r, nil
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
	total := 0
	lower := strings.ToLower(s)
	for _, ru := range r.rules {
		if !ru.mayMatch(lower) {
			continue
		}
		n := 0
		s = ru.re.ReplaceAllStringFunc(s, func(m string) string {
			n++
			return ru.re.ReplaceAllString(m, ru.repl)
		})
		r.add(ru.name, n)
		total += n
		if n > 0 {
			lower = strings.ToLower(s)
		}
	}
	return s, total
}

// LooksSecret reports whether a name (env var, annotation, key) suggests a secret value.
func LooksSecret(name string) bool { return secretName.MatchString(name) }

// Lines scrubs a stream line by line, remembering when it is inside a PEM private key
// block that spans lines. Use one per stream.
type Lines struct {
	r     *Redactor
	inPEM bool
}

// NewLines returns a line scrubber.
func (r *Redactor) NewLines() *Lines { return &Lines{r: r} }

var (
	pemBegin = regexp.MustCompile(`-----BEGIN[A-Z ]*PRIVATE KEY-----`)
	pemEnd   = regexp.MustCompile(`-----END[A-Z ]*PRIVATE KEY-----`)
)

// Line scrubs one line (without its newline).
func (l *Lines) Line(s string) string {
	if l.inPEM {
		if pemEnd.MatchString(s) {
			l.inPEM = false
		}
		l.r.add("pem-private-key", 1)
		return Mask
	}
	if !strings.Contains(s, "PRIVATE KEY") {
		out, _ := l.r.String(s)
		return out
	}
	if loc := pemBegin.FindStringIndex(s); loc != nil && !pemEnd.MatchString(s[loc[1]:]) {
		l.inPEM = true
		l.r.add("pem-private-key", 1)
		return s[:loc[0]] + "-----BEGIN PRIVATE KEY-----" + Mask
	}
	out, _ := l.r.String(s)
	return out
}

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

// walk redacts secret-looking env vars and annotations, re-redacts last-applied
// configurations, and scrubs every string.
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
				out, c := r.String(s)
				t[k] = out
				n += c
				continue
			}
			n += r.walk(child, k)
		}
	case []any:
		for i, child := range t {
			if s, ok := child.(string); ok {
				out, c := r.String(s)
				t[i] = out
				n += c
				continue
			}
			n += r.walk(child, key)
		}
	}
	return n
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
