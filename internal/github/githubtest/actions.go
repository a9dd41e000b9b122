package githubtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WorkflowRun is a run of a workflow, as the Actions API lists it.
type WorkflowRun struct {
	ID         int64     `json:"id"`
	Workflow   string    `json:"-"` // the workflow's file name
	HeadBranch string    `json:"head_branch"`
	HeadSHA    string    `json:"head_sha"`
	Event      string    `json:"event"`
	Status     string    `json:"status"`
	Conclusion string    `json:"conclusion"`
	RunAttempt int       `json:"run_attempt"`
	CreatedAt  time.Time `json:"created_at"`
	HeadRepo   struct {
		FullName string `json:"full_name"`
	} `json:"head_repository"`
	HeadCommit struct {
		TreeID string `json:"tree_id,omitempty"`
	} `json:"head_commit"`
	Artifacts []*Artifact `json:"-"`
}

// Artifact is a run's artifact; Files is its content, served zipped.
type Artifact struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Expired   bool              `json:"expired"`
	CreatedAt time.Time         `json:"created_at"`
	Files     map[string][]byte `json:"-"`
}

// AddRun adds a workflow run (newest last); its ID is assigned when 0.
func (s *Server) AddRun(r *WorkflowRun) *WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	if r.ID == 0 {
		r.ID = s.nextID
	}
	for _, a := range r.Artifacts {
		s.nextID++
		a.ID = s.nextID
	}
	s.runs = append(s.runs, r)
	return r
}

// Runs are the workflow runs added, oldest first.
func (s *Server) Runs() []*WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*WorkflowRun(nil), s.runs...)
}

// handleActions serves the Actions API's runs, artifacts and artifact downloads;
// false if the path is not one of them.
func (s *Server) handleActions(w http.ResponseWriter, r *http.Request, tok string, parts []string) bool {
	if len(parts) < 4 || parts[0] != "repos" || parts[3] != "actions" || r.Method != http.MethodGet {
		return false
	}
	if s.RateLimited[tok] {
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Used", "1000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "API rate limit exceeded for installation ID 4242.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
		return true
	}
	if s.NoActionsRead[tok] {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/actions/workflow-runs"})
		return true
	}
	switch {
	// /repos/o/r/actions/workflows/{file}/runs
	case len(parts) == 7 && parts[4] == "workflows" && parts[6] == "runs":
		q := r.URL.Query()
		var out []*WorkflowRun
		for i := len(s.runs) - 1; i >= 0; i-- { // newest first
			run := s.runs[i]
			if run.Workflow == parts[5] && (q.Get("branch") == "" || run.HeadBranch == q.Get("branch")) &&
				(q.Get("status") == "" || run.Status == q.Get("status") || run.Conclusion == q.Get("status")) {
				out = append(out, run)
			}
		}
		from, to := s.paginate(w, r, len(out))
		writeJSON(w, 200, map[string]any{"total_count": len(out), "workflow_runs": out[from:to]})
	// /repos/o/r/actions/runs/{id}/artifacts
	case len(parts) == 7 && parts[4] == "runs" && parts[6] == "artifacts":
		id, _ := strconv.ParseInt(parts[5], 10, 64)
		for _, run := range s.runs {
			if run.ID == id {
				from, to := s.paginate(w, r, len(run.Artifacts))
				writeJSON(w, 200, map[string]any{"total_count": len(run.Artifacts), "artifacts": run.Artifacts[from:to]})
				return true
			}
		}
		writeJSON(w, 404, map[string]string{"message": "Not Found"})
	// /repos/o/r/actions/artifacts/{id}/zip: a redirect to the archive, or 410 once expired
	case len(parts) == 7 && parts[4] == "artifacts" && parts[6] == "zip":
		id, _ := strconv.ParseInt(parts[5], 10, 64)
		a := s.artifact(id)
		switch {
		case a == nil:
			writeJSON(w, 404, map[string]string{"message": "Not Found"})
		case a.Expired:
			writeJSON(w, http.StatusGone, map[string]string{"message": "Artifact has expired"})
		default:
			http.Redirect(w, r, fmt.Sprintf("%s/blob/%d.zip?sig=%s", s.Storage.URL, id, blobSig(id)), http.StatusFound)
		}
	default:
		return false
	}
	return true
}

func (s *Server) artifact(id int64) *Artifact {
	for _, run := range s.runs {
		for _, a := range run.Artifacts {
			if a.ID == id {
				return a
			}
		}
	}
	return nil
}

// blobSig is the signature of an artifact's storage URL (Azure's SAS sig=).
func blobSig(id int64) string { return fmt.Sprintf("sas%08x", id*2654435761) }

// blob serves an artifact's zip, as the storage GitHub redirects to: the URL's signature
// is the only credential, and a request that also carries an Authorization header is
// refused as Azure Blob Storage refuses it (and the token is recorded as leaked).
func (s *Server) blob(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/blob/"), ".zip"), 10, 64)
	s.mu.Lock()
	hangs := s.StorageHangs[id]
	s.Calls = append(s.Calls, r.Method+" storage"+r.URL.Path)
	s.mu.Unlock()
	if hangs {
		w.WriteHeader(http.StatusOK) // headers sent, then nothing: a stalled download
		w.(http.Flusher).Flush()
		s.hang(r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.StorageFails[id]; code != 0 {
		w.Header().Set("x-ms-error-code", "ServerBusy")
		w.WriteHeader(code)
		return
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		s.StorageTokens = append(s.StorageTokens, auth)
		w.Header().Set("x-ms-error-code", "AuthenticationFailed")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.</Message></Error>`)
		return
	}
	a := s.artifact(id)
	if a == nil || a.Expired || r.URL.Query().Get("sig") != blobSig(id) {
		w.Header().Set("x-ms-error-code", "AuthenticationFailed")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range a.Files {
		f, _ := zw.Create(name)
		f.Write(body)
	}
	zw.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Write(buf.Bytes())
}

// paginate reads per_page and page, sets the Link header as GitHub does, and returns
// the slice bounds of n items to answer with.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, n int) (int, int) {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 || per > 100 {
		per = 30
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page <= 0 {
		page = 1
	}
	last := (n + per - 1) / per
	from := min((page-1)*per, n)
	to := min(from+per, n)
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.Server.URL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return from, to
}
