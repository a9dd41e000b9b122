// Package app is ci-report's workflows over the clients and stores they use: collect,
// analyse (load a bundle and label it against the history), render, investigate (live or
// from a bundle), annotate and post. Front ends — the CLI, an agent server — turn their
// input into these options and the results into output and exit codes; they hold no
// workflow of their own.
package app

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/sethvargo/go-githubactions"

	gh "github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/prcomment"
)

// Service holds what the workflows reach out to. The zero value of a field means the
// real thing: the process environment, a discarding logger, the clock, GitHub's API.
type Service struct {
	Getenv func(string) string // the environment: GitHub Actions' variables, GOMEMLIMIT
	Log    *slog.Logger
	Stdout io.Writer // where GitHub Actions' workflow commands go (annotations, outputs, groups)
	Now    func() time.Time
	// GitHub makes the API client for a base URL and token (tests give a fake's).
	GitHub func(apiURL, token string, log *slog.Logger) (*gh.Client, error)
}

func (s *Service) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) stdout() io.Writer {
	if s.Stdout == nil {
		return io.Discard
	}
	return s.Stdout
}

func (s *Service) github(apiURL, token string) (*gh.Client, error) {
	if s.GitHub != nil {
		return s.GitHub(apiURL, token, s.log())
	}
	return gh.New(apiURL, token, s.log())
}

// Action is GitHub Actions' workflow command writer over the service's stdout and
// environment.
func (s *Service) Action() *githubactions.Action {
	return githubactions.New(githubactions.WithWriter(s.stdout()), githubactions.WithGetenv(s.getenv))
}

// commentEnv is what posting a comment reports through, and its GitHub client.
func (s *Service) commentEnv() prcomment.Env {
	return prcomment.Env{Log: s.log(), Action: s.Action(), Getenv: s.getenv,
		GitHub: func(apiURL, token string) (prcomment.Commenter, error) { return s.github(apiURL, token) }}
}
