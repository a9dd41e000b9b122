package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clusterCommands are the commands that reach a cluster: only their help lists kubectl's
// connection flags (and -n), as kubectl keeps its global flags in `kubectl options`. The
// flags are accepted everywhere, so a script that passes them to every command still works.
var clusterCommands = map[string]bool{"collect": true, "run": true, "investigate": true, "watch": true, "mcp": true}

// reachesCluster reports whether c or a parent of it is a cluster command.
func reachesCluster(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		if clusterCommands[c.Name()] {
			return true
		}
	}
	return false
}

// kubeFlag reports one of kubectl's connection flags or -n/--namespace.
func kubeFlag(f *pflag.Flag) bool { return f.Annotations[kubeAnnotation] != nil }

const kubeAnnotation = "ci-report/kubectl"

// markKubeFlags annotates every flag of fs as kubectl's.
func markKubeFlags(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[kubeAnnotation] = []string{"true"}
	})
}

// flagUsages lists fs's flags, kubectl's only if withKube.
func flagUsages(fs *pflag.FlagSet, withKube bool) string {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		if withKube || !kubeFlag(f) {
			out.AddFlag(f)
		}
	})
	return out.FlagUsages()
}

const kubeNote = `

kubectl's connection flags (--kubeconfig, --context, --token, -n, …) apply to collect, run,
investigate, watch and mcp; "ci-report options" lists them.`

// scopedUsage sets the usage template that shows kubectl's flags only on the commands
// that reach a cluster.
func scopedUsage(root *cobra.Command) {
	cobra.AddTemplateFunc("scopedLocalFlags", func(c *cobra.Command) string {
		return flagUsages(c.LocalFlags(), c.HasParent() && reachesCluster(c))
	})
	cobra.AddTemplateFunc("scopedGlobalFlags", func(c *cobra.Command) string {
		return flagUsages(c.InheritedFlags(), reachesCluster(c))
	})
	cobra.AddTemplateFunc("kubeNote", func(c *cobra.Command) string {
		if reachesCluster(c) {
			return ""
		}
		return kubeNote
	})
	t := root.UsageTemplate()
	for old, repl := range map[string]string{
		"{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}":     "{{scopedLocalFlags . | trimTrailingWhitespaces}}",
		"{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}": "{{scopedGlobalFlags . | trimTrailingWhitespaces}}",
	} {
		if !strings.Contains(t, old) {
			panic(fmt.Sprintf("cobra's usage template no longer has %s", old))
		}
		t = strings.Replace(t, old, repl, 1)
	}
	// The note goes after the last flag section (before the help topics).
	t = strings.Replace(t, "{{if .HasHelpSubCommands}}", "{{kubeNote .}}{{if .HasHelpSubCommands}}", 1)
	root.SetUsageTemplate(t)
}

func newOptionsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "options",
		Short: "List kubectl's connection flags, which collect, run, investigate, watch and mcp take",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(g.stdout, "kubectl's connection flags, taken by collect, run, investigate, watch and mcp (the GitHub token is --github-token):")
			fmt.Fprintln(g.stdout)
			var kube []string
			cmd.Root().PersistentFlags().VisitAll(func(f *pflag.Flag) {
				if kubeFlag(f) {
					kube = append(kube, f.Name)
				}
			})
			fs := pflag.NewFlagSet("", pflag.ContinueOnError)
			for _, name := range kube {
				fs.AddFlag(cmd.Root().PersistentFlags().Lookup(name))
			}
			fmt.Fprint(g.stdout, fs.FlagUsages())
			return nil
		},
	}
}
