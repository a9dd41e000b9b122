//go:build tools

// Package tools pins the Kubernetes control-plane commands that internal/testenv runs.
// It is a separate module so the main module's go.mod does not carry k8s.io/kubernetes.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
