package redact

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// rule is one of ci-report's own patterns, for the shapes Kubernetes, CLIs and logs give
// secrets that a general rule set misses (key=value pairs, flags, URLs, headers). A rule
// either replaces each match with repl (Go template syntax), or asks judge, which sees
// the submatches and returns the replacement and whether to replace at all.
type rule struct {
	name  string
	re    func() *regexp.Regexp
	repl  string
	judge func(m []string) (string, bool)
	// hint is a cheap test on the lower-cased text: the regexp runs only when one of
	// these substrings is present. Scrubbing is on the hot path of every log line.
	hint []string
}

// apply replaces the rule's matches in s and returns the result and how many it replaced.
func (ru *rule) apply(s string) (string, int) {
	locs := ru.re().FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return s, 0
	}
	var b strings.Builder
	n, last := 0, 0
	for _, loc := range locs {
		var out string
		if ru.judge != nil {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = s[loc[2*i]:loc[2*i+1]]
				}
			}
			var ok bool
			if out, ok = ru.judge(m); !ok {
				continue
			}
		} else {
			out = string(ru.re().ExpandString(nil, ru.repl, s, loc))
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(out)
		last = loc[1]
		n++
	}
	if n == 0 {
		return s, 0
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// Key names. secretKey is a name whose value is a secret (DB_PASSWORD, secretAccessKey,
// client_secret, apiKey, auth); notSecretKey is a name that only refers to or describes
// one (secretName, tokenFile, TokenExpirationSeconds, max_tokens, passwordPolicy).
var (
	secretKey    = lazyre.New(`(?i)(passw(or)?d|passwd|\bpass$|^pass\b|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|accesskey|private[_-]?key|privatekey|signing[_-]?key|encryption[_-]?key|client[_-]?key|key[_-]?data|credential|\bauth$|^auth\b|authorization|cookie|session[_-]?(id|key)|account[_-]?key|conn(ection)?[_-]?str(ing)?|dsn)`)
	notSecretKey = lazyre.New(`(?i)(name|names|ref|refs|namespace|file|files|path|dir|url|uri|endpoint|seconds|ttl|expir\w*|type|mode|count|size|length|enabled|policy|provider|source|items|id[_-]?key|selector|template|format|version|audience|issuer|required|hash|sha|checksum|digest|_?at|time|timeout|duration|lifetime|limit|max|min|usage|kind|class|field|keys|length|prefix)$|^(max|min|num|n|total|used|prompt|completion)[_-]?tokens?\b|tokens?[_-]?(count|used|limit|budget)`)
)

// LooksSecret reports whether a name (env var, annotation, data key, field) suggests
// its value is a secret.
func LooksSecret(name string) bool {
	name = strings.Trim(name, `"' `)
	if v, ok := looksCache.Load(name); ok {
		return v.(bool)
	}
	v := secretKey().MatchString(name) && !notSecretKey().MatchString(name)
	if looksCacheSize.Add(1) < 10000 { // names repeat; a hostile stream must not grow it forever
		looksCache.Store(name, v)
	}
	return v
}

var (
	looksCache     sync.Map
	looksCacheSize atomic.Int64
)

// objectRef is a namespace/name reference, what klog and controllers print as secret="ns/name".
var objectRef = lazyre.New(`^"?[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?"?$`)

// keepValue reports values of a secret-looking key that are not secrets: empty or
// placeholder values, masks, references and kubectl describe's "<set to the key …>".
func keepValue(key, v string) bool {
	t := strings.Trim(v, `"'\`)
	lk := strings.ToLower(key)
	switch {
	case strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">"):
		return true // <redacted>, <none>, <set to the key …>
	case t == "" || strings.HasPrefix(t, "[REDACTED") || strings.HasPrefix(v, "<set") || strings.HasPrefix(t, "${") || strings.HasPrefix(t, "$("):
		return true
	case t == "true" || t == "false" || t == "null" || t == "nil" || t == "none" || t == "<none>" || t == "<nil>" || t == "***" || t == "REDACTED":
		return true
	case (lk == "secret" || strings.HasSuffix(lk, "secret")) && objectRef().MatchString(v):
		return true // klog: secret="ns/name"
	case strings.Contains(lk, "token") && isDigits(t):
		return true // max_tokens=4096, token counts
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pemBase64 is base64 of "-----BEGIN"; privateKeyDecoded says whether such a blob is a key.
const pemBase64 = "LS0tLS1CRUdJTi"

func privateKeyBlob(m []string) (string, bool) {
	head := m[0]
	if len(head) > 120 {
		head = head[:120]
	}
	head = head[:len(head)/4*4]
	b, _ := base64.StdEncoding.DecodeString(head)
	if strings.Contains(string(b), "PRIVATE KEY") {
		return Mask, true
	}
	return "", false
}

// base64Credentials masks a base64 JSON blob that holds a credential's key.
func base64Credentials(m []string) (string, bool) {
	v := strings.TrimRight(m[0], "=")
	b, err := base64.RawStdEncoding.DecodeString(v[:len(v)/4*4])
	if err != nil {
		return "", false
	}
	if base64CredKey().Match(b) {
		return Mask, true
	}
	return "", false
}

var base64CredKey = lazyre.New(`(?i)"(auths?|password|passwd|secret|token|private_key|client_secret|credentials?|api_?key)"`)

// The own rules, in the order they run.
var builtin = []rule{
	{name: "pem-private-key", re: lazyre.New(`(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)`),
		repl: "-----BEGIN PRIVATE KEY-----" + Mask + "-----END PRIVATE KEY-----", hint: []string{"private key"}},
	{name: "pem-private-key-base64", re: lazyre.New(pemBase64 + `[A-Za-z0-9+/=]{20,}`), judge: privateKeyBlob, hint: []string{strings.ToLower(pemBase64)}},
	// A JWT, also when a log wraps it over two lines.
	{name: "jwt", re: lazyre.New(`eyJ[A-Za-z0-9_-]{4,}\.(?:\s*\n\s*)?[A-Za-z0-9_-]{4,}\.?(?:\s*\n\s*)?[A-Za-z0-9_-]*`), repl: Mask, hint: []string{"eyj"}},
	{name: "bearer", re: lazyre.New(`(?i)(bearer\s+)([A-Za-z0-9\-._~+/]+=*)`), hint: []string{"bearer"},
		judge: func(m []string) (string, bool) {
			if strings.EqualFold(m[2], "realm") || strings.HasPrefix(strings.ToLower(m[2]), "realm=") || len(m[2]) < 8 {
				return "", false // WWW-Authenticate: Bearer realm="…"
			}
			return m[1] + Mask, true
		}},
	// Authorization headers, also as Go prints them: map[Authorization:[Basic …]].
	{name: "authorization", re: lazyre.New(`(?i)((?:proxy-)?authorization["']?\s*[:=]\s*\[?["']?)((?:basic|bearer|token|digest|negotiate|ntlm|aws4-hmac-sha256)\s+)?([^\s"',\]]+)`), hint: []string{"authorization"},
		judge: func(m []string) (string, bool) {
			v := m[3]
			if strings.HasPrefix(v, "[REDACTED") || strings.EqualFold(v, "realm") {
				return "", false
			}
			// Without a scheme, only a token-like value: "authorization: allowed by …" is not one.
			if m[2] == "" && (len(v) < 12 && !strings.ContainsAny(v, "0123456789") || len(v) < 8) {
				return "", false
			}
			return m[1] + m[2] + Mask, true
		}},
	{name: "curl-user", re: lazyre.New(`((?:^|\s)(?:-u|--user|--proxy-user)\s+["']?[^\s:"']*:)([^\s"']+)`), repl: "${1}" + Mask, hint: []string{"-u ", "--user", "--proxy-user"}},
	// A private key's tail when the text starts inside the key.
	{name: "pem-private-key-tail", re: lazyre.New(`(?m)^(?:[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*\n)+(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)`), repl: Mask + "\n${1}", hint: []string{"private key"}},
	// YAML env entries: the value on the line after a secret-looking name.
	{name: "env-yaml", re: lazyre.New(`(?i)(name:\s*["']?([\w.-]+)["']?[ \t]*\n\s*value:[ \t]*)(\S[^\n]*)`), hint: []string{"value:"},
		judge: func(m []string) (string, bool) {
			if !LooksSecret(m[2]) || keepValue(m[2], m[3]) {
				return "", false
			}
			return m[1] + Mask, true
		}},
	{name: "cookie", re: lazyre.New(`(?i)(\b(?:set-)?cookie["']?\s*[:=]\s*\[?["']?)([^"'\]\n]+)`), repl: "${1}" + Mask, hint: []string{"cookie"}},
	// Credentials in URLs: user:password@, :password@ (redis), a token as the user
	// (https://<token>@github.com), also JSON-escaped (https:\/\/u:p@). A password may
	// hold a raw @ (clients split at the last @ before the host), so the password part
	// runs to the last @ before a /, a space or a quote.
	{name: "url-credentials", re: lazyre.New(`([a-zA-Z][a-zA-Z0-9+.-]*:(?:\\?/){2})([^/\\\s:@"'<>]*:[^/\s"'<>]+|[A-Za-z0-9_\-]{20,})@`), hint: []string{":/", `:\/`},
		judge: func(m []string) (string, bool) {
			if strings.Contains(m[2], "[REDACTED") {
				return "", false
			}
			return m[1] + Mask + "@", true
		}},
	{name: "aws-access-key", re: lazyre.New(`\b(AKIA|ASIA|AGPA|AIDA|AROA|ABIA|ACCA)[0-9A-Z]{16}\b`), repl: Mask, hint: []string{"akia", "asia", "agpa", "aida", "aroa", "abia", "acca"}},
	// The AWS secret key beside its access key (a credentials CSV) or after its name
	// with a space (aws configure set aws_secret_access_key X).
	{name: "aws-secret-key", re: lazyre.New(`(?i)((?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret)["']?\s*[\s:=,]\s*["']?|(?:AKIA|ASIA|\[REDACTED\])[0-9A-Z]*\s*,\s*)([A-Za-z0-9/+]{40})\b`), repl: "${1}" + Mask,
		hint: []string{"secret", "akia", "asia", "[redacted]"}},
	{name: "github-token", re: lazyre.New(`\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b`), repl: Mask, hint: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{name: "slack-token", re: lazyre.New(`\bxox[abposre]-[A-Za-z0-9-]{10,}`), repl: Mask, hint: []string{"xox"}},
	{name: "slack-webhook", re: lazyre.New(`hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+`), repl: "hooks.slack.com/" + Mask, hint: []string{"hooks.slack.com"}},
	{name: "stripe-key", re: lazyre.New(`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}`), repl: Mask, hint: []string{"_live_", "_test_"}},
	{name: "azure-key", re: lazyre.New(`(?i)((?:AccountKey|SharedAccessKey|SharedAccessSignature)\s*=\s*)([^;"'\s]+)`), repl: "${1}" + Mask, hint: []string{"accountkey", "sharedaccess"}},
	// Signed URLs: Azure SAS (sig=), S3 and GCS V4 presigned (X-Amz-Signature,
	// X-Goog-Signature), CloudFront and GCS V2 (Signature=), and the session token an
	// S3 URL may carry.
	{name: "url-signature", re: lazyre.New(`(?i)([?&](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-security-token)=)([^&\s"'#<>]{8,})`), repl: "${1}" + Mask, hint: []string{"sig=", "signature=", "security-token="}},
	// SQL that sets a password, as Postgres and MySQL log statements and spans carry
	// them: PASSWORD '…', IDENTIFIED [WITH plugin] BY '…', SET PASSWORD FOR u = '…',
	// dollar-quoted too.
	{name: "sql-password", re: lazyre.New(`(?i)(\b(?:password(?:\s+for\s+\S+?)?|identified(?:\s+with\s+\w+)?\s+by)(?:\s*=\s*|\s+))('(?:[^'\n]|'')*'|"[^"\n]*"|\$[A-Za-z_]*\$.*?\$[A-Za-z_]*\$)`), hint: []string{"password", "identified"},
		judge: func(m []string) (string, bool) {
			v := m[2]
			if keepValue("password", v) {
				return "", false
			}
			if strings.HasPrefix(v, "$") {
				d := v[:strings.IndexByte(v[1:], '$')+2]
				return m[1] + d + Mask + d, true
			}
			return m[1] + v[:1] + Mask + v[:1], true
		}},
	// mysql -pPASSWORD (glued, as set -x prints it) for MySQL's and MariaDB's clients.
	{name: "mysql-password", re: lazyre.New(`(\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlsh|mariadb|mariadb-dump|mariadb-admin)\b[^\n]*?[\s'"]-p)([^\s'"]+)`), repl: "${1}" + Mask, hint: []string{"mysql", "mariadb"}},
	// .netrc entries: machine HOST login USER password PASS (one line or several).
	// A login is required, so prose ("the default password policy") is left alone.
	{name: "netrc", re: lazyre.New(`(?i)(\b(?:machine\s+\S+|default)(?:\s+(?:login|account)\s+\S+)+\s+password\s+)(\S+)`), repl: "${1}" + Mask, hint: []string{"machine", "default"}},
	// Registry credentials: the value of .dockerconfigjson or .dockercfg (base64 or not).
	{name: "docker-config", re: lazyre.New(`(\.docker(?:configjson|cfg)\\*["']?\s*[:=]\s*\\*["']?)([^\s"'\\]{8,})`), hint: []string{".dockerconfigjson", ".dockercfg"},
		judge: func(m []string) (string, bool) {
			if keepValue("password", m[2]) {
				return "", false
			}
			return m[1] + Mask, true
		}},
	// Base64 of a JSON object that holds credentials (eyJ is `{"`): a docker config,
	// a service-account key, a credentials blob; a JWT (with dots) is the jwt rule's.
	{name: "base64-json-credentials", re: lazyre.New(`\beyJ[A-Za-z0-9+/]{20,}={0,2}`), judge: base64Credentials, hint: []string{"eyj"}},
	// --password VALUE, --db-password=VALUE, -p=VALUE style flags.
	{name: "flag", re: lazyre.New(`(?i)((?:^|[\s"'\[(,])--?([\w-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api-?key|access-?key|private-?key|credentials?)[\w-]*)(?:=|\s+))("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)`),
		hint: []string{"passw", "pwd", "secret", "token", "key", "credential"},
		judge: func(m []string) (string, bool) {
			if !LooksSecret(m[2]) || keepValue(m[2], m[3]) {
				return "", false
			}
			return m[1] + Mask, true
		}},
	// kubectl describe (and YAML lists) put a flag and its value on separate lines.
	{name: "flag-next-line", re: lazyre.New(`(?im)^([ \t]*-?[ \t]*"?--?([\w-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api-?key|access-?key|private-?key|credentials?)[\w-]*)"?[ \t]*\n[ \t]*-?[ \t]*"?)([^\s"-][^\s"]*)`),
		hint: []string{"passw", "pwd", "secret", "token", "key", "credential"},
		judge: func(m []string) (string, bool) {
			if !LooksSecret(m[2]) || keepValue(m[2], m[3]) {
				return "", false
			}
			return m[1] + Mask, true
		}},
	// key=value and key: value pairs, quoted or not, also in (double-)encoded JSON.
	{name: "secret-assignment", re: lazyre.New(`(?i)(([\w.-]*(?:passw(?:or)?d|passwd|\bpass\b|\bpwd\b|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|key[_-]?data|credential|\bauth\b|connection[_-]?string|session[_-]?id)[\w.-]*)(?:\\*["'])?\s*[:=]\s*)(\\*"[^"\n]*?\\*"|'[^'\n]*'|[^\s"',;&\\}\]]{3,})`),
		hint: []string{"token", "pass", "pwd", "secret", "api_key", "api-key", "apikey", "access_key", "access-key", "accesskey", "private_key", "private-key", "privatekey", "key-data", "key_data", "credential", "auth", "connectionstring", "connection_string", "connection-string", "session_id", "session-id", "sessionid"},
		judge: func(m []string) (string, bool) {
			if !LooksSecret(m[2]) || keepValue(m[2], m[3]) {
				return "", false
			}
			return m[1] + quoted(m[3], Mask), true
		}},
}

// quoted puts mask in the quotes (plain, single or backslash-escaped) that v had, so
// JSON and YAML around it stay well-formed.
func quoted(v, mask string) string {
	for _, q := range []string{`\\\"`, `\\"`, `\"`, `"`, `'`} {
		if len(v) >= 2*len(q) && strings.HasPrefix(v, q) && strings.HasSuffix(v, q) {
			return q + mask + q
		}
	}
	return mask
}
