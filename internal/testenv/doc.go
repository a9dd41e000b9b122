// Package testenv runs a real, local Kubernetes control plane for tests and demos:
// etcd, kube-apiserver (RBAC, token auth), kube-controller-manager, kube-scheduler and
// kwok as the kubelet of fake nodes, all on loopback ports in a temporary directory.
//
// Binaries are built once from the Go module proxy and cached by version
// (see tools/build.sh); no Docker is needed.
package testenv
