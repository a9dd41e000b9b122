package model

import (
	"encoding/json"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/redact"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

func readJSON(br *bundle.Reader, rel string, v any) error {
	b, err := br.ReadFile(rel, bundle.MaxJSON)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// readItems reads a JSON array item by item: a malformed item is skipped and counted.
func readItems[T any](br *bundle.Reader, rel string) ([]T, int, error) {
	b, err := br.ReadFile(rel, bundle.MaxJSON)
	if err != nil {
		return nil, 0, err
	}
	// A well-formed file in one pass; only a file with a bad entry is read entry by entry.
	var all []T
	if json.Unmarshal(b, &all) == nil {
		return all, 0, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, 0, err
	}
	out := make([]T, 0, len(raw))
	bad := 0
	for _, item := range raw {
		var v T
		if err := json.Unmarshal(item, &v); err != nil {
			bad++
			continue
		}
		out = append(out, v)
	}
	return out, bad, nil
}

// readList reads a kubectl List item by item: a malformed item is skipped and counted,
// never the reason every object is lost.
func readList(br *bundle.Reader, rel string) ([]unstructured.Unstructured, int, error) {
	b, err := br.ReadFile(rel, bundle.MaxJSON)
	if err != nil {
		return nil, 0, err
	}
	out := []unstructured.Unstructured{}
	bad := 0
	// A well-formed list in one pass; only a list with a bad item is read item by item.
	// Numbers are read as the API machinery reads them: integers as int64, so that
	// unstructured's accessors (generation, observedGeneration) see them.
	var objects struct {
		Items []map[string]any `json:"items"`
	}
	if utiljson.Unmarshal(b, &objects) == nil {
		for _, it := range objects.Items {
			if it == nil {
				bad++
				continue
			}
			out = append(out, unstructured.Unstructured{Object: it})
		}
		return out, bad, nil
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, 0, err
	}
	for _, raw := range list.Items {
		var it map[string]any
		if err := utiljson.Unmarshal(raw, &it); err != nil || it == nil {
			bad++
			continue
		}
		out = append(out, unstructured.Unstructured{Object: it})
	}
	return out, bad, nil
}

// objectFiles names the file that holds each custom resource type's objects, as the
// manifest records what collect wrote; "" (resources.json) for any other.
func objectFiles(m *bundle.Manifest) func(apiVersion, kind string) string {
	files := map[string]string{}
	if m != nil {
		for _, t := range m.Types {
			// The manifest may come from anyone: only a path inside the bundle is a file.
			if p, err := bundle.RelPath(t.File); err == nil {
				files[t.APIVersion+"/"+t.Kind] = p
			}
		}
	}
	return func(apiVersion, kind string) string { return files[apiVersion+"/"+kind] }
}

// ReadObjects reads every object of the bundle's resources.json, each scrubbed by rd as
// the report's are (by key names and whole texts): what a query for one object's
// collected state reads. Malformed items are skipped and counted.
func ReadObjects(br *bundle.Reader, rd *redact.Redactor) ([]unstructured.Unstructured, int, error) {
	objs, bad, err := readList(br, bundle.ResourcesJSON)
	if err != nil {
		return nil, 0, err
	}
	if rd != nil {
		for i := range objs {
			rd.Object(objs[i].Object)
		}
	}
	return objs, bad, nil
}
