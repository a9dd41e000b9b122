// Package githubtest is a fake GitHub REST API on httptest that behaves like the real
// one where ci-report depends on it: Link-header pagination, 422 "body is too long",
// 403 "Resource not accessible by integration" for read-only (fork) tokens, secondary
// rate limits with Retry-After, 5xx answers, and comment ownership.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Comment is a stored issue comment.
type Comment struct {
	ID        int64     `json:"id"`
	Body      string    `json:"body"`
	User      User      `json:"user"`
	HTMLURL   string    `json:"html_url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// PerformedViaGitHubApp is set, as on GitHub, for comments written with an app's
	// installation token (GITHUB_TOKEN is the github-actions app's).
	PerformedViaGitHubApp *App `json:"performed_via_github_app"`
}

// User is a GitHub user or bot.
type User struct {
	Login string `json:"login"`
	Type  string `json:"type"` // "User" or "Bot"
}

// App is a GitHub App.
type App struct {
	Slug string `json:"slug"`
}

// Server is the fake API. Its URL ends with "/api/v3/" (as GitHub Enterprise), so a client
// that builds absolute paths fails.
type Server struct {
	*httptest.Server
	URL string
	// Storage is where artifact downloads redirect to: another origin, like the blob
	// storage GitHub's signed URLs point at, which refuses a request carrying a token.
	Storage *httptest.Server

	mu       sync.Mutex
	comments map[int][]*Comment // by PR number
	nextID   int64
	heads    map[int]string
	// Tokens maps a token to its login; a token starting "ghs_" is an Actions installation
	// token: its comments are by "github-actions[bot]" and it cannot read /user.
	Tokens map[string]string
	// ReadOnly tokens get 403 "Resource not accessible by integration" on writes (forks).
	ReadOnly map[string]bool
	// MaxBody is the longest accepted body (GitHub: 65536 characters).
	MaxBody int
	// SecondaryLimit makes the next N requests fail with a secondary rate limit.
	SecondaryLimit int
	RetryAfter     int // seconds
	// ServerErrors makes the next N requests fail with 502.
	ServerErrors int
	// FailAfterStore makes the next N comment creations store the comment and then
	// answer 502, as GitHub sometimes does.
	FailAfterStore int
	// Apps maps an installation token of a GitHub App to the app's slug: its comments
	// are by "<slug>[bot]" and it cannot read /user. Other "ghs_" tokens are the
	// github-actions app's (GITHUB_TOKEN).
	Apps map[string]string
	// Calls records "METHOD path" of every request.
	Calls []string
	// NoActionsRead tokens get 403 from the Actions API (a workflow without actions: read).
	NoActionsRead map[string]bool
	// StorageTokens are the Authorization headers that reached the artifact storage
	// (a token sent to another origin: a leak).
	StorageTokens []string
	// StorageFails makes the storage answer this HTTP status for these artifact IDs.
	StorageFails map[int64]int
	// StorageHangs and RedirectHangs make the storage, or the API's download redirect,
	// accept the request for these artifact IDs and never answer (until the client
	// gives up or the server closes).
	StorageHangs, RedirectHangs map[int64]bool
	// RateLimited tokens get GitHub's primary rate-limit answer from the Actions API:
	// 403, x-ratelimit-remaining 0, the reset an hour ahead.
	RateLimited map[string]bool
	runs        []*WorkflowRun
	closing     chan struct{}
}

// New starts a fake GitHub.
func New() *Server {
	s := &Server{comments: map[int][]*Comment{}, nextID: 1000, heads: map[int]string{}, Tokens: map[string]string{},
		ReadOnly: map[string]bool{}, Apps: map[string]string{}, MaxBody: 65536, RetryAfter: 1, NoActionsRead: map[string]bool{},
		StorageFails: map[int64]int{}, StorageHangs: map[int64]bool{}, RedirectHangs: map[int64]bool{}, RateLimited: map[string]bool{},
		closing: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v3/", s.handle)
	mux.HandleFunc("/api/graphql", s.graphql)
	s.Server = httptest.NewServer(mux)
	s.URL = s.Server.URL + "/api/v3/"
	s.Storage = httptest.NewServer(http.HandlerFunc(s.blob))
	return s
}

// Close stops the API and the storage (and whatever hangs).
func (s *Server) Close() {
	close(s.closing)
	s.Storage.Close()
	s.Server.Close()
}

// SetHead sets a PR's head SHA.
func (s *Server) SetHead(pr int, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heads[pr] = sha
}

// AddComment stores a comment as if login wrote it (a login ending "[bot]" is an app's).
func (s *Server) AddComment(pr int, login, body string) *Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(pr, login, body)
}

func (s *Server) add(pr int, login, body string) *Comment {
	s.nextID++
	now := time.Now().UTC().Add(time.Duration(s.nextID) * time.Millisecond)
	c := &Comment{ID: s.nextID, Body: body, User: User{Login: login, Type: "User"}, CreatedAt: now, UpdatedAt: now,
		HTMLURL: fmt.Sprintf("https://github.example/o/r/pull/%d#issuecomment-%d", pr, s.nextID)}
	if slug, ok := strings.CutSuffix(login, "[bot]"); ok {
		c.User.Type = "Bot"
		c.PerformedViaGitHubApp = &App{Slug: slug}
	}
	s.comments[pr] = append(s.comments[pr], c)
	return c
}

// Comments returns a copy of a PR's comments.
func (s *Server) Comments(pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments[pr] {
		out = append(out, *c)
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) login(r *http.Request) (string, string) {
	tok := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token ")
	if slug, ok := s.Apps[tok]; ok {
		return slug + "[bot]", tok
	}
	if strings.HasPrefix(tok, "ghs_") {
		return "github-actions[bot]", tok
	}
	return s.Tokens[tok], tok
}

// hang holds a request open until its client gives up or the server closes.
func (s *Server) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
}

// graphql answers the one query ci-report asks, viewer { login }, as GitHub does for
// every kind of token: an installation token's viewer is its app's bot.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls = append(s.Calls, r.Method+" graphql")
	login, _ := s.login(r)
	var in struct{ Query string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch {
	case r.Method != http.MethodPost:
		w.WriteHeader(http.StatusMethodNotAllowed)
	case login == "":
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
	case !strings.Contains(in.Query, "viewer"):
		writeJSON(w, 200, map[string]any{"errors": []map[string]string{{"message": "unsupported query"}}})
	default:
		writeJSON(w, 200, map[string]any{"data": map[string]any{"viewer": map[string]string{"login": login}}})
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.hangingRedirect(r); ok {
		s.mu.Lock()
		s.Calls = append(s.Calls, r.Method+" hang "+strconv.FormatInt(id, 10))
		s.mu.Unlock()
		s.hang(r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	s.Calls = append(s.Calls, r.Method+" "+path)
	if s.ServerErrors > 0 {
		s.ServerErrors--
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "Server Error"})
		return
	}
	if s.SecondaryLimit > 0 {
		s.SecondaryLimit--
		w.Header().Set("Retry-After", strconv.Itoa(s.RetryAfter))
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
		return
	}
	login, tok := s.login(r)
	if login == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	forbidden := func() {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment"})
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if s.handleActions(w, r, tok, parts) {
		return
	}
	switch {
	case path == "/user" && r.Method == http.MethodGet:
		if strings.HasPrefix(tok, "ghs_") || s.Apps[tok] != "" {
			forbidden() // installation tokens cannot read /user
			return
		}
		writeJSON(w, 200, User{Login: login, Type: "User"})
	// /repos/o/r/issues/N/comments
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[5] == "comments":
		pr, _ := strconv.Atoi(parts[4])
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, pr)
		case http.MethodPost:
			if s.ReadOnly[tok] {
				forbidden()
				return
			}
			var in struct{ Body string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			if len([]rune(in.Body)) > s.MaxBody {
				s.tooLong(w)
				return
			}
			c := s.add(pr, login, in.Body)
			if s.FailAfterStore > 0 {
				s.FailAfterStore--
				writeJSON(w, http.StatusBadGateway, map[string]string{"message": "Server Error"})
				return
			}
			writeJSON(w, http.StatusCreated, c)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	// /repos/o/r/issues/comments/ID
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[4] == "comments":
		id, _ := strconv.ParseInt(parts[5], 10, 64)
		c, pr := s.byID(id)
		if c == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		if s.ReadOnly[tok] || c.User.Login != login {
			forbidden()
			return
		}
		switch r.Method {
		case http.MethodPatch:
			var in struct{ Body string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			if len([]rune(in.Body)) > s.MaxBody {
				s.tooLong(w)
				return
			}
			c.Body, c.UpdatedAt = in.Body, time.Now().UTC()
			writeJSON(w, 200, c)
		case http.MethodDelete:
			list := s.comments[pr]
			for i, x := range list {
				if x.ID == id {
					s.comments[pr] = append(list[:i:i], list[i+1:]...)
				}
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	// /repos/o/r/pulls/N
	case len(parts) == 5 && parts[0] == "repos" && parts[3] == "pulls" && r.Method == http.MethodGet:
		pr, _ := strconv.Atoi(parts[4])
		sha, ok := s.heads[pr]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		writeJSON(w, 200, map[string]any{"number": pr, "head": map[string]string{"sha": sha}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found: " + path})
	}
}

func (s *Server) tooLong(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed",
		"errors": []map[string]string{{"resource": "IssueComment", "code": "custom", "field": "body",
			"message": fmt.Sprintf("body is too long (maximum is %d characters)", s.MaxBody)}},
		"documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
	})
}

func (s *Server) byID(id int64) (*Comment, int) {
	for pr, list := range s.comments {
		for _, c := range list {
			if c.ID == id {
				return c, pr
			}
		}
	}
	return nil, 0
}

// hangingRedirect: the request is a download redirect the server is told to hang on.
func (s *Server) hangingRedirect(r *http.Request) (int64, bool) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	if len(parts) != 7 || parts[4] != "artifacts" || parts[6] != "zip" {
		return 0, false
	}
	id, _ := strconv.ParseInt(parts[5], 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	return id, s.RedirectHangs[id]
}

// list serves one page, with a Link header like GitHub's.
func (s *Server) list(w http.ResponseWriter, r *http.Request, pr int) {
	all := s.comments[pr]
	from, to := s.paginate(w, r, len(all))
	out := make([]*Comment, 0, to-from)
	out = append(out, all[from:to]...)
	writeJSON(w, 200, out)
}
