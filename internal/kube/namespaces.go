package kube

import "k8s.io/cli-runtime/pkg/genericclioptions"

// Namespaces are the namespaces a command reads: none with all (every namespace), the
// -n values given, else the kubeconfig context's namespace ("default" without one).
func Namespaces(kube *genericclioptions.ConfigFlags, given []string, all bool) []string {
	switch {
	case all:
		return nil
	case len(given) > 0:
		return given
	}
	ns, _, err := kube.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		ns = "default"
	}
	return []string{ns}
}
