package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

func newHistoryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Cross-run memory: record runs in a history store; render and run label failures against it",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newHistoryRecordCmd(g), newHistoryKeyCmd(g))
	return cmd
}

func newHistoryRecordCmd(g *globals) *cobra.Command {
	var store, sha, branch, tree, run, repo, key string
	cmd := &cobra.Command{
		Use:   "record BUNDLE",
		Short: "Record a rendered bundle's tests and findings in the history store",
		Long: `record stores a rendered bundle's test outcomes (status, duration, attempts) and its findings'
fingerprints as one run of BRANCH at SHA. Recording the same run twice is a no-op.
render and run with --store then label failures against the base branch's recorded runs.`,
		Example: `  ci-report history record ci-report --store history.db --sha "$(git rev-parse HEAD)" --branch main --tree "$(git rev-parse HEAD^{tree})"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if store == "" || sha == "" || branch == "" {
				return usageErrorf("history record needs --store, --sha and --branch")
			}
			r, err := reportjson.Read(args[0])
			if err != nil {
				return err
			}
			if key == "" {
				key = g.app().Key()
			}
			if repo == "" {
				repo = g.app().HistoryMeta(key, "", "").Repo
			}
			st, err := history.Open(cmd.Context(), store)
			if err != nil {
				return err
			}
			defer st.Close()
			d := history.FromReport(r, history.Meta{Repo: repo, Key: key, Branch: branch, SHA: sha, Tree: tree, Run: run, Time: time.Now()})
			ok, err := st.Record(cmd.Context(), d)
			if err != nil {
				return err
			}
			what := "recorded"
			if !ok {
				what = "already recorded"
			}
			_, err = fmt.Fprintf(g.stdout, "%s: %s@%s, %d tests, %d findings\n", what, branch, sha, len(d.Tests), len(d.Findings))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&store, "store", "", "history store: a SQLite file or a postgres:// URL")
	fl.StringVar(&sha, "sha", "", "the commit the run tested")
	fl.StringVar(&branch, "branch", "", "the branch the run tested")
	fl.StringVar(&tree, "tree", "", "the commit's git tree (git rev-parse SHA^{tree})")
	fl.StringVar(&run, "run", "", "the CI run's ID (default: none; with one, a run is recorded once)")
	fl.StringVar(&repo, "repo", "", "owner/name the history belongs to (default: $GITHUB_REPOSITORY, else local)")
	fl.StringVar(&key, "comment-key", "", "the job's key, the comment's (default: workflow/job/matrix values)")
	prcomment.AliasFlags(fl, map[string]string{"key": "comment-key"})
	return cmd
}

func newHistoryKeyCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "artifact-prefix",
		Short: "Print the name prefix of this job's history digest artifacts (the action's cache key uses it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if key == "" {
				key = g.app().Key()
			}
			_, err := fmt.Fprintln(g.stdout, app.HistoryPrefix(ghactions.SanitizeKey(key)))
			return err
		},
	}
	cmd.Flags().StringVar(&key, "comment-key", "", "the job's key, the comment's (default: workflow/job/matrix values)")
	prcomment.AliasFlags(cmd.Flags(), map[string]string{"key": "comment-key"})
	return cmd
}
