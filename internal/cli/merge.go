package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/reportjson"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
)

func newMergeCmd(g *globals) *cobra.Command {
	var out string
	var names, redactPatterns []string
	cmd := &cobra.Command{
		Use:   "merge BUNDLE...",
		Short: "Merge the bundles of matrix jobs into one report and one comment",
		Long: `merge reads the (rendered or not) bundles that matrix jobs uploaded and writes one
REPORT.md, summary.md and comment.md for all of them: a per-shard status table, findings
merged across shards (one per root cause, with the shards it was seen in), and every
shard's failed tests, pods and gaps. Post it with ci-report comment, so parallel jobs do
not race on one comment.`,
		Example: `  ci-report merge artifacts/ci-report-* -o merged && ci-report comment merged --comment-key e2e`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(names) > 0 && len(names) != len(args) {
				return usageErrorf("--name given %d times for %d bundles", len(names), len(args))
			}
			rd, err := redact.New(redactPatterns)
			if err != nil {
				return usageErrorf("%v", err)
			}
			var reports []*model.Report
			var shardNames []string
			for i, dir := range args {
				name := filepath.Base(filepath.Clean(dir))
				if len(names) > 0 {
					name = names[i]
				}
				if info, err := os.Stat(dir); err != nil || !info.IsDir() {
					return fmt.Errorf("bundle %s: not a directory (a shard's bundle or rendered report): %v", dir, err)
				}
				if historyDigestOnly(dir) {
					// The action's ci-report-history-… artifact, downloaded with the bundles.
					g.log.Info("not a bundle: a history digest artifact; skipped", "dir", dir)
					continue
				}
				r, err := reportjson.Read(dir)
				switch {
				case err == nil:
				case bundle.IsBundle(dir):
					g.log.Debug("no usable report.json; rendering the shard's bundle", "dir", dir, "err", err)
					readErr := err
					if r, err = model.Load(cmd.Context(), dir, model.Options{Redactor: rd, Outputs: render.Files()}); err != nil {
						return fmt.Errorf("bundle %s: %w", dir, err)
					}
					if !errors.Is(readErr, fs.ErrNotExist) {
						r.Gaps = append(r.Gaps, bundle.Gap{Collector: "merge", Error: readErr.Error() + "; rendered the shard's bundle instead"})
					}
				default:
					// No report this ci-report can read and no bundle: unknown, never passed.
					g.log.Warn("shard unreadable", "dir", dir, "err", err)
					r = model.Unreadable(name, err)
				}
				r.Redact(rd) // a shard's report.json is someone else's output
				reports = append(reports, r)
				shardNames = append(shardNames, name)
			}
			if len(reports) == 0 {
				return usageErrorf("no bundle among the %d directories given (only history digests)", len(args))
			}
			m := model.Merge(shardNames, reports)
			m.Bundle = out
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := render.WriteAll(cmd.Context(), out, m, render.Options{Marker: prcomment.Marker(ghactions.Key(g.getenv))}); err != nil {
				return err
			}
			g.log.Info("merged", "shards", len(reports), "findings", len(m.Findings), "status", m.Status.Level)
			_, err = fmt.Fprintln(g.stdout, filepath.Join(out, render.ReportFile))
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "ci-report-merged", "directory for the merged reports")
	cmd.Flags().StringArrayVar(&redactPatterns, "redact", nil, "extra regular expression to redact (repeatable)")
	cmd.Flags().StringArrayVar(&names, "name", nil, "shard name for each bundle, in order (default: the directory name)")
	return cmd
}

// historyDigestOnly: the directory is a history digest artifact (its digest file, no
// report.json, no bundle), not a shard.
func historyDigestOnly(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, history.DigestFile))
	if err != nil || !fi.Mode().IsRegular() || bundle.IsBundle(dir) {
		return false
	}
	_, err = os.Lstat(filepath.Join(dir, "report.json"))
	return errors.Is(err, fs.ErrNotExist)
}
