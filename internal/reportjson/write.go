// Package reportjson owns report.json, the wire format between ci-report's processes
// (merge reads the shards', the fork poster reads the artifact's): writing it within its
// budget (cuts named in the report), reading it back confined to its directory, and
// refusing a version this ci-report cannot read.
package reportjson

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// DefaultBudget is the size limit of report.json.
const DefaultBudget = 32 << 20

// Write writes report.json to f within budget bytes (0: DefaultBudget): streamed as it
// is encoded when the estimate says the model fits its budget (the transient memory is
// one element, not the file), and through Encode's cuts when it does not, or when the
// streamed file came out too large.
func Write(f *os.File, r *model.Report, budget int) error {
	if budget <= 0 {
		budget = DefaultBudget
	}
	if approxSize(reflect.ValueOf(r), 0) <= budget*9/10 {
		if err := encodeIndentedTo(f, fromModel(r)); err != nil {
			return err
		}
		if n, err := f.Seek(0, io.SeekCurrent); err != nil || n <= int64(budget) {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
	}
	b, err := Encode(r, budget)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return err
}

// Encode renders report.json within budget bytes (0: DefaultJSONBudget). When the whole
// model does not fit, the parts an agent needs least go first — healthy log tails, the
// output of passing tests, old timeline entries — each cut named in the report's "cuts"
// so a reader knows what is missing. The report passed in is not changed.
func Encode(r *model.Report, budget int) ([]byte, error) {
	if budget <= 0 {
		budget = DefaultBudget
	}
	enc := func(r *model.Report) ([]byte, error) {
		return encodeIndented(fromModel(r), min(approxSize(reflect.ValueOf(r), 0), budget)+4096)
	}
	// Encoding a huge model takes seconds, so cuts are decided on an estimate of the
	// encoded size, and the real size is checked only when the estimate says it fits.
	fits := func(r *model.Report) bool { return approxSize(reflect.ValueOf(r), 0) <= budget*9/10 }
	if fits(r) {
		b, err := enc(r)
		if err != nil || len(b) <= budget {
			return b, err
		}
	}
	var b []byte
	var err error
	c := *r // shallow: every cut below replaces a slice, never writes into r's
	c.Cuts = append([]string(nil), r.Cuts...)
	cut := func(what string) { c.Cuts = append(c.Cuts, "report.json: "+what+" to fit its budget") }
	steps := jsonCuts(&c, cut)
	for _, step := range steps {
		step()
		if fits(&c) {
			if b, err = enc(&c); err != nil || len(b) <= budget {
				return b, err
			}
		}
	}
	if b, err = enc(&c); err != nil || len(b) <= budget {
		return b, err
	}
	// Last resort: halve every long list until it fits.
	for round := 1; round <= 40; round++ {
		halve(&c)
		if !fits(&c) {
			continue
		}
		done := c
		done.Cuts = append(c.Cuts[:len(c.Cuts):len(c.Cuts)], fmt.Sprintf("report.json: every list halved %d times to fit its budget", round))
		if b, err = enc(&done); err != nil || len(b) <= budget {
			return b, err
		}
	}
	return b, nil
}

func tailOf[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func mapSlice[T any](s []T, f func(T) T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

func filter[T any](s []T, keep func(T) bool) []T {
	out := []T{}
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// approxSize estimates the indented JSON size of v: string and number lengths, plus the
// key, quotes and indentation of each field and element.
func approxSize(v reflect.Value, depth int) int {
	indent := 2*depth + 4
	switch v.Kind() {
	case reflect.String:
		return v.Len() + v.Len()/8 + 2 // escapes
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 4
		}
		return approxSize(v.Elem(), depth)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return 32
		}
		n := 2
		for _, f := range jsonFields(v.Type()) {
			n += indent + f.nameLen + 4 + approxSize(v.Field(f.index), depth+1)
		}
		return n
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Len()*4/3 + 2
		}
		n := 2
		for i := 0; i < v.Len(); i++ {
			n += indent + 2 + approxSize(v.Index(i), depth+1)
		}
		return n
	case reflect.Map:
		n := 2
		iter := v.MapRange()
		for iter.Next() {
			n += indent + 4 + approxSize(iter.Key(), depth+1) + approxSize(iter.Value(), depth+1)
		}
		return n
	}
	return 8
}

type jsonField struct{ index, nameLen int }

var fieldCache sync.Map // reflect.Type → []jsonField

// jsonFields lists a struct type's fields that JSON encodes (cached: tags are slow to read).
func jsonFields(t reflect.Type) []jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
			out = append(out, jsonField{i, len(f.Name)})
		}
	}
	fieldCache.Store(t, out)
	return out
}

// jsonCuts are report.json's cuts, least needed first: each replaces a slice of c (never
// writes into the report's) and names itself through cut.
func jsonCuts(c *model.Report, cut func(string)) []func() {
	return []func(){
		func() {
			c.Logs = mapSlice(c.Logs, func(t model.LogTail) model.LogTail {
				if len(t.Errors()) == 0 && !t.Previous {
					t.Lines = tailOf(t.Lines, 5)
				} else {
					t.Lines = tailOf(t.Lines, 50)
				}
				return t
			})
			cut("log tails cut to 5 lines (50 with errors or from a previous run)")
		},
		func() {
			tests := *c.Tests
			tests.Cases = mapSlice(tests.Cases, func(k results.Case) results.Case {
				if !k.Status.Failing() {
					k.Details = ""
				}
				return k
			})
			c.Tests = &tests
			cut("output of passing, skipped and flaky tests dropped")
		},
		func() {
			c.Timeline = tailOf(c.Timeline, 2000)
			c.OperatorActions = tailOf(c.OperatorActions, 2000)
			c.Errors = c.Errors[:min(len(c.Errors), 500)]
			c.Files = c.Files[:min(len(c.Files), 2000)]
			cut("timeline and operator actions cut to their last 2000, errors to 500, files to 2000")
		},
		func() {
			tests := *c.Tests
			tests.Cases = filter(tests.Cases, func(k results.Case) bool { return k.Status != results.Passed && k.Status != results.Skipped })
			c.Tests = &tests
			cut("passing and skipped tests dropped from tests.cases (testCounts still counts them)")
		},
		func() {
			c.FailedTests = mapSlice(c.FailedTests, func(f model.FailedTest) model.FailedTest {
				f.Case.Details = textsafe.Truncate(f.Case.Details, 2048)
				f.Entries = f.Entries[:min(len(f.Entries), 5)]
				f.LogLines = f.LogLines[:min(len(f.LogLines), 5)]
				return f
			})
			tests := *c.Tests
			tests.Cases = mapSlice(tests.Cases, func(k results.Case) results.Case { k.Details = textsafe.Truncate(k.Details, 2048); return k })
			c.Tests = &tests
			cut("test output cut to 2 KiB a test")
		},
	}
}

// halve halves every long list of c.
func halve(c *model.Report) {
	half := func(n int) int { return n / 2 }
	c.Logs = c.Logs[:half(len(c.Logs))]
	c.Timeline = tailOf(c.Timeline, half(len(c.Timeline)))
	c.OperatorActions = tailOf(c.OperatorActions, half(len(c.OperatorActions)))
	c.FailedTests = c.FailedTests[:half(len(c.FailedTests))]
	tests := *c.Tests
	tests.Cases = tests.Cases[:half(len(tests.Cases))]
	c.Tests = &tests
	c.Findings = c.Findings[:max(half(len(c.Findings)), min(len(c.Findings), 20))]
	c.Errors = c.Errors[:half(len(c.Errors))]
	c.Files = c.Files[:half(len(c.Files))]
	c.Pods = c.Pods[:half(len(c.Pods))]
	c.CustomResources = c.CustomResources[:half(len(c.CustomResources))]
}
