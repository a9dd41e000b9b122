// Package opactions turns an operator's log lines into actions: structured JSON lines
// (zap / controller-runtime, slog, logr) and klog text lines become time, level,
// controller, object, reconcile ID, message and error.
package opactions

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Object is what an action was about.
type Object struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

func (o *Object) String() string {
	if o == nil {
		return ""
	}
	return o.Ref().String()
}

// Ref is the object's reference.
func (o *Object) Ref() kube.ObjectRef { return kube.Ref(o.Kind, o.Namespace, o.Name) }

// Action is one parsed operator log line.
type Action struct {
	Time        time.Time `json:"time,omitzero"`
	Level       string    `json:"level,omitempty"`
	Namespace   string    `json:"podNamespace"`
	Pod         string    `json:"pod"`
	Container   string    `json:"container"`
	Previous    bool      `json:"previous,omitempty"`
	Line        int       `json:"line"`
	Controller  string    `json:"controller,omitempty"`
	Object      *Object   `json:"object,omitempty"`
	ReconcileID string    `json:"reconcileID,omitempty"`
	Message     string    `json:"message"`
	Error       string    `json:"error,omitempty"`
	Format      string    `json:"format"` // json or klog
}

// Failed reports an action that failed: an error, or a line logged at error or fatal
// level. Findings, the timeline and investigate all ask this.
func (a Action) Failed() bool {
	return a.Error != "" || a.Level == "error" || a.Level == "fatal"
}

// Fields are the keys looked up in structured lines, first match wins.
type Fields struct {
	Time, Level, Message, Controller, ReconcileID, Error, Kind, Namespace, Name, Object []string
}

// DefaultFields cover zap/controller-runtime, slog, logr and klog's structured keys.
func DefaultFields() Fields {
	return Fields{
		Time:        []string{"ts", "time", "timestamp", "@timestamp", "T"},
		Level:       []string{"level", "severity", "lvl", "L"},
		Message:     []string{"msg", "message", "M"},
		Controller:  []string{"controller", "logger", "N"},
		ReconcileID: []string{"reconcileID", "reconcile_id", "reconcileId"},
		Error:       []string{"error", "err"},
		Kind:        []string{"controllerKind", "kind"},
		Namespace:   []string{"namespace"},
		Name:        []string{"name"},
		Object:      []string{"object", "obj"},
	}
}

// Set overrides one field list from a "role=key1,key2" flag value.
func (f *Fields) Set(spec string) error {
	role, keys, ok := strings.Cut(spec, "=")
	if !ok || keys == "" {
		return fmt.Errorf("--operator-field %q: want ROLE=KEY[,KEY...]", spec)
	}
	field, ok := map[string]*[]string{
		"time":        &f.Time,
		"level":       &f.Level,
		"msg":         &f.Message,
		"message":     &f.Message,
		"controller":  &f.Controller,
		"reconcileid": &f.ReconcileID,
		"error":       &f.Error,
		"kind":        &f.Kind,
		"namespace":   &f.Namespace,
		"name":        &f.Name,
		"object":      &f.Object,
	}[strings.ToLower(role)]
	if !ok {
		return fmt.Errorf("--operator-field %q: unknown role %q (time, level, msg, controller, reconcileID, error, kind, namespace, name, object)", spec, role)
	}
	*field = strings.Split(keys, ",")
	return nil
}

// Parser parses lines. Year is used for klog lines, which carry none.
type Parser struct {
	Fields Fields
	Year   int
}

// MaxLine is the longest line parsed; longer lines are skipped.
const MaxLine = 256 * 1024

// ParseReader parses every line of r; src fills the source fields of each action.
// Lines longer than MaxLine are skipped.
func (p *Parser) ParseReader(r io.Reader, src Action) ([]Action, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []Action
	var buf []byte
	n, tooLong := 0, false
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if !tooLong {
			buf = append(buf, chunk...)
			tooLong = len(buf) > MaxLine
		}
		if isPrefix {
			continue
		}
		n++
		if !tooLong {
			if a, ok := p.Line(string(buf)); ok {
				a.Namespace, a.Pod, a.Container, a.Previous, a.Line = src.Namespace, src.Pod, src.Container, src.Previous, n
				out = append(out, a)
			}
		}
		buf, tooLong = buf[:0], false
	}
}

// Line parses one line; ok is false for lines that are not operator actions.
//
// A line may start with the timestamp that `kubectl logs --timestamps` (and ci-report's
// collector) puts first; it is used when the line itself carries no time.
func (p *Parser) Line(line string) (a Action, ok bool) {
	line = strings.TrimSpace(line)
	prefix, line := SplitTimestamp(line)
	defer func() {
		if a.Time.IsZero() {
			a.Time = prefix
		}
	}()
	switch {
	case strings.HasPrefix(line, "{"):
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			return a, false
		}
		a = p.fromMap(m)
		a.Format = "json"
	case klogRe().MatchString(line):
		a = p.klog(line)
		a.Format = "klog"
	default:
		return a, false
	}
	a.Level = normLevel(a.Level)
	relevant := a.ReconcileID != "" || a.Controller != "" || a.Object != nil || a.Failed() || a.Level == "warning"
	return a, relevant && a.Message != ""
}

// SplitTimestamp splits a leading RFC 3339 timestamp (as the API server adds with
// timestamps=true) from a log line. It returns the zero time and the line unchanged
// when there is none.
func SplitTimestamp(line string) (time.Time, string) {
	sp := strings.IndexByte(line, ' ')
	if sp < 20 || sp > 40 || line[4] != '-' || line[10] != 'T' {
		return time.Time{}, line
	}
	t, err := time.Parse(time.RFC3339Nano, line[:sp])
	if err != nil {
		return time.Time{}, line
	}
	return t.UTC(), line[sp+1:]
}

func first(m map[string]any, keys []string) (any, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

func str(m map[string]any, keys []string) string {
	v, ok := first(m, keys)
	if !ok {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

func (p *Parser) fromMap(m map[string]any) Action {
	f := p.Fields
	a := Action{
		Level:       str(m, f.Level),
		Message:     str(m, f.Message),
		Controller:  str(m, f.Controller),
		ReconcileID: str(m, f.ReconcileID),
		Error:       str(m, f.Error),
	}
	if v, ok := first(m, f.Time); ok {
		a.Time = parseTime(v)
	}
	kind := str(m, f.Kind)
	obj := &Object{Kind: kind}
	// controller-runtime logs the object under its kind: "APIGraph": {"name":…,"namespace":…}.
	if kind != "" {
		if o, ok := m[kind].(map[string]any); ok {
			obj.Name, _ = o["name"].(string)
			obj.Namespace, _ = o["namespace"].(string)
		}
	}
	if obj.Name == "" {
		if v, ok := first(m, f.Object); ok {
			switch o := v.(type) {
			case map[string]any:
				obj.Name, _ = o["name"].(string)
				obj.Namespace, _ = o["namespace"].(string)
			case string:
				obj.Namespace, obj.Name = splitRef(o)
			}
		}
	}
	if obj.Name == "" {
		obj.Name = str(m, f.Name)
		obj.Namespace = str(m, f.Namespace)
	}
	if obj.Name != "" {
		a.Object = obj
	}
	return a
}

func splitRef(s string) (ns, name string) {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}

func parseTime(v any) time.Time {
	switch t := v.(type) {
	case float64: // zap's epoch seconds
		sec, frac := math.Modf(t)
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02 15:04:05.000", "2006-01-02T15:04:05"} {
			if ts, err := time.Parse(layout, t); err == nil {
				return ts.UTC()
			}
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return parseTime(f)
		}
	}
	return time.Time{}
}

func normLevel(l string) string {
	switch strings.ToLower(l) {
	case "i", "info":
		return "info"
	case "w", "warn", "warning":
		return "warning"
	case "e", "error", "err", "dpanic":
		return "error"
	case "f", "fatal", "panic", "critical":
		return "fatal"
	case "d", "debug", "trace":
		return "debug"
	}
	if n, err := strconv.Atoi(l); err == nil {
		switch { // slog's numeric levels: ERROR=8, WARN=4, INFO=0, DEBUG=-4
		case n >= 8:
			return "error"
		case n >= 4:
			return "warning"
		case n >= 0:
			return "info"
		}
		return "debug" // logr's V-levels, which zap logs as negative numbers
	}
	return strings.ToLower(l)
}

// klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
var klogRe = lazyre.New(`^([IWEF])(\d{2})(\d{2}) (\d{2}:\d{2}:\d{2}\.\d{6})\s+\d+ ([^\]]+)\] (.*)$`)

// kv matches klog's structured key="value" / key=value pairs.
var kvRe = lazyre.New(`(\w[\w.-]*)=("(?:[^"\\]|\\.)*"|\S+)`)

func (p *Parser) klog(line string) Action {
	m := klogRe().FindStringSubmatch(line)
	a := Action{Level: m[1]}
	mon, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	year := p.Year
	if year == 0 {
		year = time.Now().UTC().Year()
	}
	if ts, err := time.Parse("15:04:05.000000", m[4]); err == nil {
		a.Time = time.Date(year, time.Month(mon), day, ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), time.UTC)
	}
	rest := m[6]
	// The message is either quoted (structured logging) or everything before the first key=value.
	if strings.HasPrefix(rest, `"`) {
		if end := closingQuote(rest); end > 0 {
			a.Message, _ = strconv.Unquote(rest[:end+1])
			rest = rest[end+1:]
		}
	}
	kvs := map[string]any{}
	locs := kvRe().FindAllStringSubmatchIndex(rest, -1)
	for _, l := range locs {
		k, v := rest[l[2]:l[3]], rest[l[4]:l[5]]
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		kvs[k] = v
	}
	if a.Message == "" {
		a.Message = strings.TrimSpace(rest)
		if len(locs) > 0 {
			a.Message = strings.TrimSpace(rest[:locs[0][0]])
		}
		if a.Message == "" {
			a.Message = strings.TrimSpace(rest)
		}
	}
	b := p.fromMap(kvs)
	a.Controller, a.ReconcileID, a.Error, a.Object = b.Controller, b.ReconcileID, b.Error, b.Object
	return a
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
