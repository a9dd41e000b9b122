// Package bundle defines the ci-report/ directory: its paths (the contract between
// collect and render), its manifest, and safe writes into it.
package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/org/k8s-e2e-report/internal/opactions"
	corev1 "k8s.io/api/core/v1"
)

// Paths inside a bundle. Keep them stable: render and users' scripts depend on them.
const (
	ManifestFile        = "manifest.json"
	ResourcesJSON       = "k8s/resources.json"
	ResourcesText       = "k8s/resources.txt"
	PodDescriptions     = "k8s/pod-descriptions.txt"
	LogsDir             = "k8s/logs"
	EventsText          = "k8s/events.txt"
	EventsJSON          = "k8s/events.json"
	OperatorActionsJSON = "k8s/operator-actions.json"
	TimelineText        = "k8s/timeline.txt"
	TimelineJSON        = "k8s/timeline.json"
	ObservedJSON        = "k8s/observed.json" // timeline entries only watch saw (the model derives the rest)
	CustomResourcesDir  = "k8s"
)

// LogPath is the bundle path of a container's current (or previous) log.
func LogPath(namespace, pod, container string, previous bool) string {
	name := container + ".log"
	if previous {
		name = container + ".previous.log"
	}
	return filepath.ToSlash(filepath.Join(LogsDir, safe(namespace), safe(pod), safe(name)))
}

// ContainerNames lists a pod's init, regular and ephemeral containers: the containers
// that can have logs in a bundle.
func ContainerNames(p *corev1.Pod) []string {
	var names []string
	for _, c := range p.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range p.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// CustomResourcePath is the bundle path of one custom resource type's objects.
func CustomResourcePath(plural string) string {
	return filepath.ToSlash(filepath.Join(CustomResourcesDir, safe(plural)+".yaml"))
}

// safe keeps a Kubernetes name usable as one path element (names are DNS labels or
// subdomains already; this guards against anything else).
func safe(s string) string {
	s = strings.ReplaceAll(s, "/", "_")
	s = strings.ReplaceAll(s, "\x00", "_")
	if s == "." || s == ".." || s == "" {
		return "_" + s
	}
	return s
}

// Dir is a bundle directory being written.
type Dir struct {
	Root    string
	written atomic.Int64
}

// Create makes (or reuses) the bundle directory.
func Create(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "k8s"), 0o755); err != nil {
		return nil, fmt.Errorf("create bundle directory %s: %w", root, err)
	}
	return &Dir{Root: root}, nil
}

// Path is the absolute path of a bundle-relative path.
func (d *Dir) Path(rel string) string { return filepath.Join(d.Root, filepath.FromSlash(rel)) }

// BytesWritten is the total written through this Dir so far.
func (d *Dir) BytesWritten() int64 { return d.written.Load() }

// Create opens a bundle file for writing (via a temporary file renamed on Close, so
// a reader never sees half a file), creating parent directories.
func (d *Dir) Create(rel string) (*File, error) {
	path := d.Path(rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	// CreateTemp makes 0600 files; a bundle is meant to be read by others (artifact upload).
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{f: f, path: path, dir: d}, nil
}

// WriteFile writes a whole bundle file.
func (d *Dir) WriteFile(rel string, b []byte) (int64, error) {
	f, err := d.Create(rel)
	if err != nil {
		return 0, err
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return 0, err
	}
	return f.N(), f.Close()
}

// WriteJSON writes v as indented JSON.
func (d *Dir) WriteJSON(rel string, v any) (int64, error) {
	f, err := d.Create(rel)
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		f.Abort()
		return 0, err
	}
	return f.N(), f.Close()
}

// File is a bundle file being written.
type File struct {
	f    *os.File
	path string
	dir  *Dir
	n    int64
}

func (f *File) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	f.n += int64(n)
	f.dir.written.Add(int64(n))
	return n, err
}

// N is how many bytes were written so far.
func (f *File) N() int64 { return f.n }

// Close finishes the file and moves it into place.
func (f *File) Close() error {
	if err := f.f.Close(); err != nil {
		os.Remove(f.f.Name())
		return err
	}
	return os.Rename(f.f.Name(), f.path)
}

// Abort discards the file.
func (f *File) Abort() {
	f.f.Close()
	os.Remove(f.f.Name())
}

var _ io.WriteCloser = (*File)(nil)

// Status of one collector.
type Status string

const (
	StatusOK      Status = "ok"
	StatusPartial Status = "partial" // some items failed; see Errors
	StatusFailed  Status = "failed"  // nothing collected; see Errors
	StatusSkipped Status = "skipped" // not run (disabled, or nothing to do)
)

// Truncation records a file that was cut short, and why.
type Truncation struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Collector is one collector's record in the manifest.
type Collector struct {
	Name        string         `json:"name"`
	Status      Status         `json:"status"`
	Errors      []string       `json:"errors,omitempty"`
	DurationMs  int64          `json:"durationMs"`
	Objects     int            `json:"objects"`
	Bytes       int64          `json:"bytes"`
	Files       []string       `json:"files,omitempty"`
	Truncations []Truncation   `json:"truncations,omitempty"`
	Redactions  map[string]int `json:"redactions,omitempty"`
}

// Manifest describes a bundle: what was collected from where, and every gap.
type Manifest struct {
	SchemaVersion int            `json:"schemaVersion"`
	Tool          ToolInfo       `json:"tool"`
	Cluster       ClusterInfo    `json:"cluster"`
	Namespaces    []string       `json:"namespaces"`
	AllNamespaces bool           `json:"allNamespaces,omitempty"`
	Selector      string         `json:"selector,omitempty"`
	Since         string         `json:"since,omitempty"`
	StartedAt     time.Time      `json:"startedAt"`
	FinishedAt    time.Time      `json:"finishedAt"`
	DurationMs    int64          `json:"durationMs"`
	Collectors    []*Collector   `json:"collectors"`
	Redactions    map[string]int `json:"redactions"`
	BytesWritten  int64          `json:"bytesWritten"`
	Gaps          []Gap          `json:"gaps"`
	// Types names the file each custom resource type's objects were written to.
	Types []TypeFile `json:"types,omitempty"`
	// Operator is how operator pods and their log lines are to be read (the model parses
	// their logs itself, with today's parser); nil in bundles from before it.
	Operator *OperatorConfig `json:"operator,omitempty"`
}

// OperatorConfig is collect's --operator-selector and --operator-field.
type OperatorConfig struct {
	Selector string           `json:"selector,omitempty"`
	Fields   opactions.Fields `json:"fields"`
}

// TypeFile is where collect wrote one custom resource type's objects.
type TypeFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	File       string `json:"file"`
}

// ToolInfo is the ci-report build that wrote the bundle.
type ToolInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
}

// ClusterInfo is where the bundle came from.
type ClusterInfo struct {
	Server    string `json:"server,omitempty"`
	Context   string `json:"context,omitempty"`
	Version   string `json:"version,omitempty"`
	InCluster bool   `json:"inCluster,omitempty"`
	Reachable bool   `json:"reachable"`
}

// Gap is something that could not be collected.
type Gap struct {
	Collector string `json:"collector"`
	Error     string `json:"error"`
	Shard     string `json:"shard,omitempty"` // the matrix leg it came from (merged reports)
}

// SchemaVersion of manifest.json.
const SchemaVersion = 1

// ReadManifest reads a bundle's manifest.
func ReadManifest(root string) (*Manifest, error) {
	b, err := ReadRegular(filepath.Join(root, ManifestFile), MaxJSON)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ManifestFile, err)
	}
	return &m, nil
}

// Files `ci-report watch` writes under the bundle directory while the tests run, and
// `collect` merges at the end.
const (
	WatchDir      = "watch"
	WatchTimeline = "watch/timeline.jsonl" // timeline entries as observed, one JSON object per line
	WatchEvents   = "watch/events.json"    // every event seen, latest version per UID
	WatchState    = "watch/state.json"     // what the watcher did: start, stop, counts, errors
	WatchPID      = "watch/watch.pid"      // the background watcher's process ID
	WatchLog      = "watch/watch.log"      // the background watcher's stderr
	WatchReady    = "watch/ready"          // written once the watcher has listed everything
	WatchDeleted  = "watch/deletions.json" // the pods watch saw deleted, with when

	// DeletionsJSON records the pods deleted during the run (seen by watch); their last
	// observed state is in resources.json.
	DeletionsJSON = "k8s/deletions.json"

	// DeletedAtAnnotation is how bundles written before deletions.json marked a deleted
	// pod in resources.json; the model still reads it.
	DeletedAtAnnotation = "ci-report.io/deleted-at"
)

// Deletion is one object deleted during the run.
type Deletion struct {
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	UID       string    `json:"uid,omitempty"`
	At        time.Time `json:"at"`
	// Observed: watch saw the deletion at At; otherwise the object was gone when collect
	// ran and At is when watch stopped.
	Observed bool `json:"observed"`
}

// Key is kind/namespace/name.
func (d Deletion) Key() string { return d.Kind + "/" + d.Namespace + "/" + d.Name }

// WatchPodPath is where watch keeps the last observed version of a pod.
func WatchPodPath(namespace, pod string) string {
	return filepath.ToSlash(filepath.Join(WatchDir, "pods", safe(namespace), safe(pod)+".json"))
}

// WatchLogPath is where watch streams a container's log (timestamped lines).
func WatchLogPath(namespace, pod, container string) string {
	return filepath.ToSlash(filepath.Join(WatchDir, "logs", safe(namespace), safe(pod), safe(container)+".log"))
}

// WatchStateFile is what `ci-report watch` records about itself (WatchState).
type WatchStateFile struct {
	StartedAt   time.Time `json:"startedAt"`
	StoppedAt   time.Time `json:"stoppedAt,omitzero"`
	Namespaces  []string  `json:"namespaces"`
	Pods        int       `json:"pods"`        // pods observed
	Deleted     int       `json:"deleted"`     // pods observed being deleted
	Transitions int       `json:"transitions"` // timeline entries recorded
	Events      int       `json:"events"`
	LogBytes    int64     `json:"logBytes"`
	Relists     int       `json:"relists"` // watch errors after which an informer listed again
	// Outages are the times the API server did not answer (probed every second): what
	// happened then was seen only once it was back.
	Outages []Outage `json:"outages,omitempty"`
	Errors  []string `json:"errors,omitempty"`
}

// Outage is a time the API server did not answer the watcher.
type Outage struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}
