package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

func newBundleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Pack a bundle into text a container log carries, and unpack it (a bundle out of an in-cluster Job)",
		Args:  cobra.NoArgs,
	}
	var out string
	unpack := &cobra.Command{
		Use:   "unpack [FILE]",
		Short: "Unpack a packed bundle from FILE or stdin (e.g. kubectl logs of the Job) into --output",
		Example: `  kubectl -n ci-report logs job/ci-report-collect | ci-report bundle unpack -o ci-report
  ci-report render ci-report`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if len(args) == 1 && args[0] != "-" {
				fi, err := os.Lstat(args[0])
				if err != nil {
					return err
				}
				if !fi.Mode().IsRegular() {
					return fmt.Errorf("%s: not a regular file (%s)", args[0], fi.Mode().Type())
				}
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			n, err := bundle.Unpack(in, out)
			if err != nil {
				return err
			}
			g.log.Info("bundle unpacked", "dir", out, "files", n)
			_, err = fmt.Fprintln(g.stdout, out)
			return err
		},
	}
	unpack.Flags().StringVarP(&out, "output", "o", "ci-report", "directory to unpack into")
	pack := &cobra.Command{
		Use:   "pack BUNDLE",
		Short: "Write BUNDLE to stdout as a packed bundle: base64 of a tar.gz between marker lines",
		Long: `pack writes the bundle's regular files to stdout as text that survives a container log,
so that a bundle collected by ci-report running as a Job inside the cluster comes out with
kubectl logs alone: the Job runs collect then pack, and outside the cluster
"kubectl logs job/NAME | ci-report bundle unpack" recreates it.`,
		Example: `  ci-report collect -A -o /report && ci-report bundle pack /report`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := bundle.Pack(args[0], g.stdout)
			if err == nil {
				g.log.Info("bundle packed", "dir", args[0], "files", n)
			}
			return err
		},
	}
	cmd.AddCommand(pack, unpack)
	return cmd
}
