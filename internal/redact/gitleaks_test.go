package redact

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaksOwn is gitleaks' own reading of text, as its detect.NewDetectorDefaultConfig
// reads its default configuration (viper, then Translate).
func gitleaksOwn(t *testing.T, text string) config.Config {
	t.Helper()
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		t.Fatal(err)
	}
	c, err := vc.Translate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// glView is what redaction uses of a gitleaks allowlist, comparable across both readings.
type glView struct {
	And            bool
	Target         string
	Regex          string
	StopWords      []string
	CommitsOrPaths bool
}

func viewOurs(a *glAllowlist) glView {
	v := glView{And: a.and, Target: a.target, StopWords: sorted(a.stopWords), CommitsOrPaths: a.commitsOrPaths}
	if a.regex != nil {
		v.Regex = a.regex.String()
	}
	return v
}

func viewTheirs(a *config.Allowlist) glView {
	v := glView{And: a.MatchCondition == config.AllowlistMatchAnd, Target: a.RegexTarget,
		StopWords: sorted(a.StopWords), CommitsOrPaths: len(a.Commits) > 0 || len(a.Paths) > 0}
	if len(a.Regexes) > 0 {
		parts := make([]string, len(a.Regexes))
		for i, r := range a.Regexes {
			parts[i] = r.String()
		}
		v.Regex = "(?:" + strings.Join(parts, "|") + ")"
	}
	return v
}

func sorted(s []string) []string {
	out := make([]string, 0, len(s))
	seen := map[string]bool{}
	for _, w := range s {
		if w = strings.ToLower(w); !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// compareRules fails on any difference between gitleaks' translation of text and ours.
func compareRules(t *testing.T, text string) {
	t.Helper()
	theirs := gitleaksOwn(t, text)
	rules, global, err := gitleaksRules(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(theirs.Rules) {
		t.Errorf("%d rules, gitleaks reads %d", len(rules), len(theirs.Rules))
	}
	for _, r := range rules {
		g, ok := theirs.Rules[r.RuleID]
		if !ok {
			t.Errorf("rule %s: not in gitleaks' reading", r.RuleID)
			continue
		}
		re, gre := "", ""
		if r.Regex != nil {
			re = r.Regex.String()
		}
		if g.Regex != nil {
			gre = g.Regex.String()
		}
		if re != gre || r.SecretGroup != g.SecretGroup || r.Entropy != g.Entropy || !reflect.DeepEqual(nonNil(r.Keywords), nonNil(g.Keywords)) {
			t.Errorf("rule %s: ours (%q, group %d, entropy %v, keywords %q), gitleaks' (%q, group %d, entropy %v, keywords %q)",
				r.RuleID, re, r.SecretGroup, r.Entropy, r.Keywords, gre, g.SecretGroup, g.Entropy, g.Keywords)
		}
		if len(r.Allowlists) != len(g.Allowlists) {
			t.Errorf("rule %s: %d allowlists, gitleaks reads %d", r.RuleID, len(r.Allowlists), len(g.Allowlists))
			continue
		}
		for i := range r.Allowlists {
			if o, th := viewOurs(r.Allowlists[i]), viewTheirs(g.Allowlists[i]); !reflect.DeepEqual(o, th) {
				t.Errorf("rule %s allowlist %d: ours %+v, gitleaks' %+v", r.RuleID, i, o, th)
			}
		}
	}
	if len(global) != len(theirs.Allowlists) {
		t.Fatalf("%d global allowlists, gitleaks reads %d", len(global), len(theirs.Allowlists))
	}
	for i := range global {
		if o, th := viewOurs(global[i]), viewTheirs(theirs.Allowlists[i]); !reflect.DeepEqual(o, th) {
			t.Errorf("global allowlist %d: ours %+v, gitleaks' %+v", i, o, th)
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestGitleaksRulesAreTheModules: the embedded rule file is the one of the gitleaks
// version go.mod requires, and ci-report reads every rule and allowlist in it as gitleaks
// does.
func TestGitleaksRulesAreTheModules(t *testing.T) {
	if gitleaksTOML != config.DefaultConfig {
		t.Fatal("internal/redact/gitleaks.toml is not the gitleaks module's config/gitleaks.toml: run go generate ./internal/redact")
	}
	compareRules(t, gitleaksTOML)
	rules, _, _ := gitleaksRules(gitleaksTOML)
	if len(rules) < 200 {
		t.Fatalf("%d gitleaks rules read, want the whole default set", len(rules))
	}
}

// TestGitleaksRulesShapes covers the configuration shapes the default file does not use
// today (deprecated single allowlists, targeted global allowlists, "and" conditions,
// regex targets) against gitleaks' own reading, and the errors gitleaks reports.
func TestGitleaksRulesShapes(t *testing.T) {
	compareRules(t, `
[[rules]]
id = "a"
regex = '''tok_[a-z]{10}'''
keywords = ["TOK_"]
secretGroup = 0
entropy = 2.5
[rules.allowlist]
regexes = ['''(?i)example''', '''dummy''']
regexTarget = "line"

[[rules]]
id = "b"
regex = '''key_([a-z]{10})'''
secretGroup = 1
keywords = ["key_"]
[[rules.allowlists]]
condition = "AND"
stopwords = ["Test", "sample"]
regexes = ['''x''']
regexTarget = "match"
[[rules.allowlists]]
condition = "&&"
paths = ['''\.md$''']
stopwords = ["doc"]

[[rules]]
id = "path-only"
path = '''\.pem$'''

[[allowlists]]
targetRules = ["a", "b"]
stopwords = ["fixture"]
[[allowlists]]
description = "global"
regexes = ['''placeholder''']
commits = ["abc123"]
`)
	for _, tc := range []struct{ text, err string }{
		{"[[rules]]\nid = \"a\"\nregex = '''('''\n", "gitleaks rule a"},
		{"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\ncondition = \"xor\"\nregexes = ['y']\n", "unknown condition"},
		{"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = \"path\"\nregexes = ['y']\n", "unknown regexTarget"},
		{"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\ndescription = \"empty\"\n", "at least one check"},
		{"[[allowlists]]\ntargetRules = [\"nope\"]\nstopwords = [\"x\"]\n", `target rule "nope" does not exist`},
		{"[[rules]\n", "gitleaks rules:"},
	} {
		if _, _, err := gitleaksRules(tc.text); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("gitleaksRules(%q) = %v, want an error with %q", tc.text, err, tc.err)
		}
	}
}

// TestGitleaksAllowlistsApply: a rule's finding is kept or dropped by its allowlists as
// gitleaks decides: stop words on the secret (any case), regexes on the secret, the match
// or the line, "and" conditions, targeted global allowlists, and allowlists about commits
// or paths, which log text never satisfies.
func TestGitleaksAllowlistsApply(t *testing.T) {
	l, err := newLeaks(`
[[rules]]
id = "tok"
regex = '''tok_[a-zA-Z0-9]{12}'''
keywords = ["tok_"]
[[rules.allowlists]]
stopwords = ["sample"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''(?i)fake-line''']
[[rules.allowlists]]
condition = "and"
regexes = ['''ZZZ''']
stopwords = ["zzz"]
[[rules.allowlists]]
condition = "and"
paths = ['''.*''']
regexes = ['''Q''']

[[rules]]
id = "other"
regex = '''oth_[a-z]{12}'''
keywords = ["oth_"]

[[allowlists]]
targetRules = ["other"]
regexTarget = "match"
regexes = ['''^oth_x''']
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"token tok_Ab12Cd34Ef56 used", true},
		{"token tok_abSAMPLEcd12 used", false},      // stop word, any case
		{"token tok_Ab12Cd34Ef56 FAKE-LINE", false}, // line regex
		{"token tok_ZZZab1234567 used", false},      // "and": regex and stop word both hold
		{"token tok_ZZab12345678 used", true},       // "and": the regex alone is not enough
		{"token tok_QQab12345678 used", true},       // "and" with paths never applies to text
		{"key oth_abcdefghijkl", true},
		{"key oth_xbcdefghijkl", false}, // targeted global allowlist, on the match
	} {
		got := l.find(tc.line)
		if (len(got) > 0) != tc.want {
			t.Errorf("find(%q) = %+v, want found=%v", tc.line, got, tc.want)
		}
	}
	if _, err := newLeaks("[[rules]]\nid = 'a'\nregex = '('\n"); err == nil {
		t.Error("a rule that does not compile was accepted")
	}
}
