package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// tableAccept asks the API server for its Table rendering, as kubectl get does, so
// custom resources come with their printer columns.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

// collectTables writes resources.txt: per type, the columns `kubectl get -o wide` shows.
func (r *run) collectTables(ctx context.Context) {
	rec := r.newRecord("tables")
	defer rec.done()
	if r.cfg == nil {
		rec.skip("server-side tables need a REST config (collect was given clients)")
		return
	}
	cfg := rest.CopyConfig(r.cfg)
	cfg.GroupVersion = &schema.GroupVersion{}
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		rec.fail(err)
		return
	}
	var buf bytes.Buffer
	tables := 0
	for _, t := range r.res.types {
		if len(r.res.objects(t.GVR)) == 0 {
			continue
		}
		nss := r.namespaces()
		if !t.Namespaced {
			nss = []string{""}
		}
		for _, ns := range nss {
			if ctx.Err() != nil {
				rec.errorf("table %s: %v", t, ctx.Err())
				break
			}
			table, err := r.table(ctx, rc, t, ns)
			if err != nil {
				rec.errorf("table %s: %s", t, describeListError(t, ns, err))
				continue
			}
			if len(table.Rows) == 0 {
				continue
			}
			title := t.String()
			if ns != "" {
				title += " in " + ns
			}
			fmt.Fprintf(&buf, "=== %s (%s)\n", title, t.Kind)
			p := printers.NewTablePrinter(printers.PrintOptions{Wide: true, WithNamespace: t.Namespaced && ns == ""})
			if err := p.PrintObj(table, &buf); err != nil {
				rec.errorf("print table %s: %v", t, err)
			}
			buf.WriteString("\n")
			tables++
		}
	}
	scrubbed, n := r.opts.Redactor.String(buf.String())
	rec.redacted("text", n)
	nb, err := r.dir.WriteFile(bundle.ResourcesText, []byte(scrubbed))
	if err != nil {
		rec.errorf("write %s: %v", bundle.ResourcesText, err)
		return
	}
	rec.add(tables, nb, bundle.ResourcesText)
}

func (r *run) table(ctx context.Context, rc *rest.RESTClient, t resourceType, ns string) (*metav1.Table, error) {
	if !r.acquire(ctx) {
		return nil, ctx.Err()
	}
	defer r.release()
	prefix := "/apis/" + t.GVR.Group + "/" + t.GVR.Version
	if t.GVR.Group == "" {
		prefix = "/api/" + t.GVR.Version
	}
	p := path.Join(prefix, t.GVR.Resource)
	if t.Namespaced && ns != "" {
		p = path.Join(prefix, "namespaces", ns, t.GVR.Resource)
	}
	full := &metav1.Table{}
	cont := ""
	for {
		req := rc.Get().AbsPath(p).SetHeader("Accept", tableAccept).Param("includeObject", "Metadata").Param("limit", "500")
		if r.opts.Selector != "" && t.Namespaced { // --selector is for namespaced objects
			req = req.Param("labelSelector", r.opts.Selector)
		}
		if cont != "" {
			req = req.Param("continue", cont)
		}
		body, err := req.Do(ctx).Raw()
		if err != nil {
			return nil, err
		}
		var page metav1.Table
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("decode table: %w", err)
		}
		if page.Kind != "Table" {
			return nil, fmt.Errorf("server did not return a Table (got %q)", page.Kind)
		}
		if full.ColumnDefinitions == nil {
			full.ColumnDefinitions = page.ColumnDefinitions
		}
		for i := range page.Rows {
			// The printer reads row metadata (for the namespace column).
			if raw := page.Rows[i].Object.Raw; raw != nil {
				u := &unstructured.Unstructured{}
				if err := json.Unmarshal(raw, &u.Object); err == nil {
					page.Rows[i].Object.Object = u
				}
			}
		}
		full.Rows = append(full.Rows, page.Rows...)
		if cont = page.Continue; cont == "" {
			return full, nil
		}
	}
}
