package reportjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// encodeIndented writes v as json.MarshalIndent(v, "", "  ") would, byte for byte, but a
// struct's slice fields element by element: the transient memory is the largest element,
// not several copies of a report that can run to tens of MiB.
func encodeIndented(v any, sizeHint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	err := encodeIndentedTo(&buf, v)
	return buf.Bytes(), err
}

// encodeIndentedTo is encodeIndented writing to w as it goes.
func encodeIndentedTo(w io.Writer, v any) error {
	buf := bufio.NewWriterSize(w, 256<<10)
	if err := encodeStruct(buf, v); err != nil {
		return err
	}
	return buf.Flush()
}

func encodeStruct(buf *bufio.Writer, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct || hasEmbedded(rv.Type()) {
		b, err := json.MarshalIndent(v, "", "  ")
		buf.Write(b)
		buf.WriteByte('\n')
		return err
	}
	buf.WriteString("{")
	first := true
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, omitEmpty, omitZero, ok := jsonName(f)
		if !ok {
			continue
		}
		fv := rv.Field(i)
		if omitEmpty && emptyValue(fv) || omitZero && fv.IsZero() {
			continue
		}
		if !first {
			buf.WriteString(",")
		}
		first = false
		buf.WriteString("\n  ")
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteString(": ")
		if err := encodeField(buf, fv); err != nil {
			return err
		}
	}
	if !first {
		buf.WriteString("\n")
	}
	buf.WriteString("}\n")
	return nil
}

// encodeField writes one top-level field at depth 1; a non-empty slice element by
// element, through one Encoder whose buffers serve every element.
func encodeField(buf *bufio.Writer, fv reflect.Value) error {
	if fv.Kind() != reflect.Slice || fv.IsNil() || fv.Len() == 0 || fv.Type().Elem().Kind() == reflect.Uint8 {
		return encoderAt(buf, "  ").Encode(fv.Interface())
	}
	enc := encoderAt(buf, "    ")
	buf.WriteString("[")
	for j := 0; j < fv.Len(); j++ {
		if j > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n    ")
		if err := enc.Encode(fv.Index(j).Interface()); err != nil {
			return err
		}
	}
	buf.WriteString("\n  ]")
	return nil
}

// encoderAt is an Encoder writing as MarshalIndent(v, prefix, "  ") does: without the
// newline Encode ends each value with.
func encoderAt(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(noFinalNewline{w})
	enc.SetIndent(prefix, "  ")
	return enc
}

// noFinalNewline drops the newline that ends each of an Encoder's writes (one per value).
type noFinalNewline struct{ w io.Writer }

func (n noFinalNewline) Write(p []byte) (int, error) {
	if len(p) > 0 && p[len(p)-1] == '\n' {
		_, err := n.w.Write(p[:len(p)-1])
		return len(p), err
	}
	return n.w.Write(p)
}

// jsonName reads a field's json tag as encoding/json does for the tags this package's
// types use: a name, omitempty, omitzero, or "-".
func jsonName(f reflect.StructField) (name string, omitEmpty, omitZero, ok bool) {
	if !f.IsExported() {
		return "", false, false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	for _, o := range strings.Split(opts, ",") {
		omitEmpty = omitEmpty || o == "omitempty"
		omitZero = omitZero || o == "omitzero"
	}
	return name, omitEmpty, omitZero, true
}

// emptyValue is encoding/json's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// hasEmbedded: encoding/json flattens embedded structs; such a type is left to it whole.
func hasEmbedded(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Anonymous {
			return true
		}
	}
	return false
}
