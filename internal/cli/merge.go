package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/redact"
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
			shards := make([]app.Shard, len(args))
			for i, dir := range args {
				shards[i] = app.Shard{Dir: dir, Name: filepath.Base(filepath.Clean(dir))}
				if len(names) > 0 {
					shards[i].Name = names[i]
				}
			}
			_, report, err := g.app().Merge(cmd.Context(), shards, out, rd)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, report)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "ci-report-merged", "directory for the merged reports")
	cmd.Flags().StringArrayVar(&redactPatterns, "redact", nil, "extra regular expression to redact (repeatable)")
	cmd.Flags().StringArrayVar(&names, "name", nil, "shard name for each bundle, in order (default: the directory name)")
	return cmd
}
