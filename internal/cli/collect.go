package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/collect"
)

func newCollectCmd(g *globals) *cobra.Command {
	f := &collect.Flags{}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect logs, events, resources, custom resources and operator actions into a bundle",
		Long: `collect gathers everything needed to understand a failed e2e run into one directory
(default ci-report/): manifest.json, k8s/resources.json and .txt, k8s/pod-descriptions.txt,
k8s/logs/<namespace>/<pod>/<container>[.previous].log, k8s/events.txt and .json,
k8s/<plural>.yaml per custom resource type, k8s/operator-actions.json and k8s/timeline.txt.

It is best effort: whatever cannot be collected (an RBAC Forbidden, a timeout) is recorded
as a gap in manifest.json and the rest goes on. Secrets never reach the bundle: Secret
data, secret-looking env vars and annotations, and tokens, keys and credentials in logs
are redacted.

Exit codes: 0 when something useful was collected (gaps are listed in manifest.json),
3 when nothing could be (e.g. the API server is unreachable), 2 for bad flags.`,
		Example: `  ci-report collect -n turbo-engine-e2e
  ci-report collect -n app,operator-system --crd gateways.gateway.networking.k8s.io --since 30m
  ci-report collect -A --log-max-bytes 1Mi --timeout 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.Options(g.kube, g.namespaces, g.log)
			if err != nil {
				return err
			}
			m, err := g.app().Collect(cmd.Context(), opts)
			if m != nil {
				failed := 0
				for _, c := range m.Collectors {
					if c.Status == "failed" || c.Status == "partial" {
						failed++
					}
				}
				if len(m.Gaps) > 0 {
					g.log.Warn("collection has gaps; see manifest.json", "gaps", len(m.Gaps), "collectors with errors", failed)
				}
				g.log.Info("bundle written", "dir", opts.OutputDir, "bytes", m.BytesWritten, "took", time.Duration(m.DurationMs)*time.Millisecond)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, opts.OutputDir)
			return nil
		},
	}
	f.AddFlags(cmd.Flags())
	return cmd
}
