package redact

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// gitleaksTOML is gitleaks' default rule set: its config/gitleaks.toml, copied from the
// gitleaks module go.mod requires (go generate ./internal/redact). It is read here rather
// than through gitleaks' config package, which links viper and its file, env and format
// loaders into every ci-report command (about 1 MiB of start-up memory) to parse one
// embedded file. TestGitleaksRulesAreTheModules checks the copy against the module and
// this translation against gitleaks' own, rule by rule.
//
//go:generate sh -c "cp \"$(go list -m -f '{{.Dir}}' github.com/zricethezav/gitleaks/v8)/config/gitleaks.toml\" gitleaks.toml && chmod 644 gitleaks.toml"
//go:embed gitleaks.toml
var gitleaksTOML string

// glRule is one gitleaks rule, as far as text redaction uses it.
type glRule struct {
	RuleID      string
	Regex       *regexp.Regexp
	SecretGroup int
	Entropy     float64
	Keywords    []string // lower-cased
	Allowlists  []*glAllowlist
}

// glAllowlist is one gitleaks allowlist, as gitleaks' config.Allowlist reads it.
type glAllowlist struct {
	and       bool           // condition = "and": every check present must match
	target    string         // what regexes match: "" (the secret), "match" or "line"
	regex     *regexp.Regexp // the regexes joined, nil when there are none
	stopWords []string       // lower-cased
	// commits and paths never match log text (they are about git history and files), but
	// an "and" allowlist holding them can then never match either.
	commitsOrPaths bool
}

// glAllowlistTOML is an allowlist as gitleaks.toml writes it (also a global one, which may
// target rules).
type glAllowlistTOML struct {
	Condition   string
	Commits     []string
	Paths       []string
	RegexTarget string
	Regexes     []string
	StopWords   []string
	TargetRules []string
}

type glConfigTOML struct {
	Rules []struct {
		ID          string
		Regex       string
		SecretGroup int
		Entropy     float64
		Keywords    []string
		AllowList   *glAllowlistTOML // the deprecated [rules.allowlist]
		Allowlists  []*glAllowlistTOML
	}
	AllowList  *glAllowlistTOML // the deprecated [allowlist]
	Allowlists []*glAllowlistTOML
}

// gitleaksRules translates a gitleaks configuration the way gitleaks' config.Translate
// does: rules in file order (those without a regex too), keywords lower-cased, the
// deprecated single allowlists folded into the lists, and global allowlists that target
// rules moved onto those rules. It returns the rules and the global allowlists.
func gitleaksRules(text string) ([]*glRule, []*glAllowlist, error) {
	var c glConfigTOML
	if err := toml.Unmarshal([]byte(text), &c); err != nil {
		return nil, nil, fmt.Errorf("gitleaks rules: %w", err)
	}
	var rules []*glRule
	byID := map[string]*glRule{}
	for _, tr := range c.Rules {
		r := &glRule{RuleID: tr.ID, SecretGroup: tr.SecretGroup, Entropy: tr.Entropy}
		if tr.Regex != "" {
			re, err := regexp.Compile(tr.Regex)
			if err != nil {
				return nil, nil, fmt.Errorf("gitleaks rule %s: %w", tr.ID, err)
			}
			r.Regex = re
		}
		for _, k := range tr.Keywords {
			r.Keywords = append(r.Keywords, strings.ToLower(k))
		}
		for _, ta := range withDeprecated(tr.Allowlists, tr.AllowList) {
			a, err := glAllow(ta)
			if err != nil {
				return nil, nil, fmt.Errorf("gitleaks rule %s: allowlist: %w", tr.ID, err)
			}
			r.Allowlists = append(r.Allowlists, a)
		}
		rules = append(rules, r)
		byID[r.RuleID] = r
	}
	var global []*glAllowlist
	for _, ta := range withDeprecated(c.Allowlists, c.AllowList) {
		a, err := glAllow(ta)
		if err != nil {
			return nil, nil, fmt.Errorf("gitleaks allowlist: %w", err)
		}
		if len(ta.TargetRules) == 0 {
			global = append(global, a)
			continue
		}
		for _, id := range ta.TargetRules {
			r := byID[id]
			if r == nil {
				return nil, nil, fmt.Errorf("gitleaks allowlist: target rule %q does not exist", id)
			}
			r.Allowlists = append(r.Allowlists, a)
		}
	}
	return rules, global, nil
}

// withDeprecated is a list of allowlists with the deprecated single one, if any, after them.
func withDeprecated(lists []*glAllowlistTOML, one *glAllowlistTOML) []*glAllowlistTOML {
	if one != nil {
		lists = append(lists, one)
	}
	return lists
}

func glAllow(t *glAllowlistTOML) (*glAllowlist, error) {
	a := &glAllowlist{commitsOrPaths: len(t.Commits) > 0 || len(t.Paths) > 0}
	switch strings.ToUpper(t.Condition) {
	case "AND", "&&":
		a.and = true
	case "", "OR", "||":
	default:
		return nil, fmt.Errorf("unknown condition %q (expected and, or)", t.Condition)
	}
	switch t.RegexTarget {
	case "", "secret":
	case "match", "line":
		a.target = t.RegexTarget
	default:
		return nil, fmt.Errorf("unknown regexTarget %q (expected match, line)", t.RegexTarget)
	}
	if !a.commitsOrPaths && len(t.Regexes) == 0 && len(t.StopWords) == 0 {
		return nil, errors.New("must contain at least one check for: commits, paths, regexes, or stopwords")
	}
	if len(t.Regexes) > 0 {
		for _, r := range t.Regexes {
			if _, err := regexp.Compile(r); err != nil {
				return nil, err
			}
		}
		// Joined as gitleaks joins them (so a leading (?i) reaches the ones after it, too).
		a.regex = regexp.MustCompile("(?:" + strings.Join(t.Regexes, "|") + ")")
	}
	for _, w := range t.StopWords {
		a.stopWords = append(a.stopWords, strings.ToLower(w))
	}
	return a, nil
}

// regexAllowed is gitleaks' Allowlist.RegexAllowed.
func (a *glAllowlist) regexAllowed(s string) bool {
	return a.regex != nil && s != "" && a.regex.MatchString(s)
}

// stopWord is gitleaks' Allowlist.ContainsStopWord.
func (a *glAllowlist) stopWord(s string) bool {
	s = strings.ToLower(s)
	for _, w := range a.stopWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
