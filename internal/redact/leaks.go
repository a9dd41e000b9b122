package redact

import (
	"math"
	"sort"
	"strings"
	"sync"
)

// leaks applies gitleaks' default rule set (its gitleaks.toml: cloud, SaaS and VCS
// token formats with their entropy thresholds, allowlists and stop words) the way its
// detector does — a rule runs only where one of its keywords occurs — but line by line
// and only on the lines holding a keyword, since gitleaks' own detector has a fixed
// cost per call and runs a rule over the whole text once any line has its keyword.
//
// Left out: generic-api-key (its unanchored pattern runs at ~1.5 MB/s, and ci-report's
// own key=value rule covers that shape with Kubernetes-aware exceptions such as
// tokenFile, max_tokens and secretName) and path-only rules.
type leaks struct {
	rules  []*glRule
	global []*glAllowlist
	kw     *keywords // gitleaks' keywords and ci-report's own rule hints
}

// skippedRules are gitleaks rules ci-report does not run (see leaks).
var skippedRules = map[string]bool{"generic-api-key": true}

var (
	leaksOnce sync.Once
	leaksDet  *leaks
	leaksErr  error
)

// defaultLeaks loads the default rules once per process (read-only afterwards).
func defaultLeaks() (*leaks, error) {
	leaksOnce.Do(func() { leaksDet, leaksErr = newLeaks(gitleaksTOML) })
	return leaksDet, leaksErr
}

// newLeaks reads a gitleaks configuration and indexes its rules' keywords together with
// the hints of ci-report's own rules.
func newLeaks(text string) (*leaks, error) {
	rules, global, err := gitleaksRules(text)
	if err != nil {
		return nil, err
	}
	l := &leaks{global: global, kw: newKeywords()}
	sort.Slice(rules, func(i, j int) bool { return rules[i].RuleID < rules[j].RuleID })
	for _, r := range rules {
		if r.Regex == nil || skippedRules[r.RuleID] || len(r.Keywords) == 0 {
			continue
		}
		l.rules = append(l.rules, r)
		for _, k := range r.Keywords {
			l.kw.add(k, 0, []int{len(l.rules) - 1})
		}
	}
	for i, ru := range builtin {
		for _, h := range ru.hint {
			l.kw.add(h, 1<<i, nil)
		}
	}
	l.kw.addFlag("private key", 0, nil, flagPEM)
	l.kw.addFlag("eyj", 0, nil, flagJWT)
	l.kw.addFlag("--", 0, nil, flagDashes)
	l.kw.addFlag("name:", 0, nil, flagName)
	return l, nil
}

// minSecret is the shortest finding masked: shorter ones are too likely to be ordinary
// words elsewhere in the text.
const minSecret = 8

// found is one secret, and the rule that found it.
type found struct{ secret, rule string }

// hits is what a scan of one lower-cased text found: own rules to run (bits) and
// gitleaks rules to run.
type hits struct {
	own  uint64
	gl   []int
	set  [8]uint64
	flag uint8
}

// add records a keyword's rules and markers.
func (h *hits) add(e *kwEntry) {
	h.own |= e.own
	h.flag |= e.flag
	for _, i := range e.gl {
		if h.set[i/64]&(1<<(i%64)) == 0 {
			h.set[i/64] |= 1 << (i % 64)
			h.gl = append(h.gl, i)
		}
	}
}

// reset empties h, keeping gl's storage.
func (h *hits) reset() {
	for _, i := range h.gl {
		h.set[i/64] = 0
	}
	h.own, h.flag, h.gl = 0, 0, h.gl[:0]
}

// scan finds the keywords in s, case-insensitively.
func (l *leaks) scan(s string) *hits {
	h := &hits{}
	l.scanInto(s, h)
	return h
}

// scanInto is scan into a reused h (a line scrubber's, one line at a time).
func (l *leaks) scanInto(s string, h *hits) {
	h.reset()
	if !l.kw.scanFold(s, h) {
		l.kw.scan(strings.ToLower(s), h)
	}
}

// find returns the distinct secrets in text, longest first (so a secret that contains
// another is masked whole). Each line is searched with the rules whose keywords it holds.
func (l *leaks) find(text string) []found {
	if len(text) < minSecret {
		return nil
	}
	var out []found
	seen := map[string]bool{}
	var h hits
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if line := text[start:end]; len(line) >= minSecret {
			l.scanInto(line, &h)
			out = l.findLine(line, h.gl, seen, out)
		}
		start = end + 1
	}
	sortFound(out)
	return out
}

func sortFound(out []found) {
	sort.Slice(out, func(i, j int) bool { return len(out[i].secret) > len(out[j].secret) })
}

func (l *leaks) findLine(line string, rules []int, seen map[string]bool, out []found) []found {
	for _, i := range rules {
		r := l.rules[i]
		for _, m := range r.Regex.FindAllStringSubmatch(line, -1) {
			secret := strings.Trim(m[0], "\n")
			if len(m) >= 2 {
				if r.SecretGroup > 0 {
					if len(m) <= r.SecretGroup {
						continue
					}
					secret = m[r.SecretGroup]
				} else {
					for _, g := range m[1:] {
						if g != "" {
							secret = g
							break
						}
					}
				}
			}
			secret = strings.TrimSpace(secret)
			if len(secret) < minSecret || seen[secret] || strings.Contains(secret, "[REDACTED") {
				continue
			}
			if r.Entropy != 0 && entropy(secret) <= r.Entropy {
				continue
			}
			if allowed(l.global, secret, m[0], line) || allowed(r.Allowlists, secret, m[0], line) {
				continue
			}
			seen[secret] = true
			out = append(out, found{secret, r.RuleID})
		}
	}
	return out
}

// allowed applies gitleaks' allowlists to a finding (regexes on the secret, match or
// line, and stop words; commit and path conditions do not apply to log text).
func allowed(lists []*glAllowlist, secret, match, line string) bool {
	for _, a := range lists {
		target := secret
		switch a.target {
		case "match":
			target = match
		case "line":
			target = line
		}
		regex := a.regexAllowed(target)
		stop := a.stopWord(secret)
		if a.and {
			if a.commitsOrPaths {
				continue
			}
			ok := a.regex != nil || len(a.stopWords) > 0
			if a.regex != nil && !regex || len(a.stopWords) > 0 && !stop {
				ok = false
			}
			if ok {
				return true
			}
			continue
		}
		if regex || stop {
			return true
		}
	}
	return false
}

func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, c := range s {
		counts[c]++
	}
	e, inv := 0.0, 1.0/float64(len(s))
	for _, n := range counts {
		f := float64(n) * inv
		e -= f * math.Log2(f)
	}
	return e
}

// replace masks every occurrence of the secrets in s.
func (l *leaks) replace(s string, secrets []found, add func(string, int)) string {
	for _, f := range secrets {
		if n := strings.Count(s, f.secret); n > 0 {
			s = strings.ReplaceAll(s, f.secret, Mask)
			add("gitleaks:"+f.rule, n)
		}
	}
	return s
}

// scrub masks what the rule set finds in s.
func (l *leaks) scrub(s string, add func(string, int)) (string, int) {
	return l.scrubScanned(s, nil, add)
}

// scrubScanned is scrub with s's scan already made when s is one line (h not nil).
func (l *leaks) scrubScanned(s string, h *hits, add func(string, int)) (string, int) {
	var secrets []found
	if h != nil && strings.IndexByte(s, '\n') < 0 {
		if len(s) >= minSecret && len(h.gl) > 0 {
			secrets = l.findLine(s, h.gl, map[string]bool{}, nil)
			sortFound(secrets)
		}
	} else {
		secrets = l.find(s)
	}
	if len(secrets) == 0 {
		return s, 0
	}
	before := s
	s = l.replace(s, secrets, add)
	if s == before {
		return s, 0
	}
	return s, len(secrets)
}
