#!/usr/bin/env bash
# Builds the real test cluster's binaries once and caches them, keyed by version:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes),
#   etcd (go.etcd.io/etcd/server/v3 as selected by that module graph) and kwok.
# Prints the directory holding them. Re-running with a complete cache is a no-op.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
k8s_version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
etcd_version=$(awk '$1=="go.etcd.io/etcd/server/v3" {print $2; exit}' "$here/go.mod")
kwok_version=${KWOK_VERSION:-v0.8.0}
cache_root=${CI_REPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ci-report}
build_rev=2 # bump when the build itself changes
dir="$cache_root/testenv/k8s-$k8s_version-etcd-$etcd_version-kwok-$kwok_version-b$build_rev"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
  for b in "${bins[@]}"; do [ -x "$dir/bin/$b" ] || return 1; done
  [ -d "$dir/kwok-crds" ] && [ -d "$dir/kwok-stages" ] || return 1
}

if ! complete; then
  mkdir -p "$dir/bin"
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "building test cluster binaries into $dir (a cold build takes about 6 minutes)" >&2
  (
    cd "$here"
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    ldflags="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitTreeState=clean"
    go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl
    go build -trimpath -o "$tmp/etcd" ./etcd
  )
  GOBIN="$tmp" CGO_ENABLED=0 go install "sigs.k8s.io/kwok/cmd/kwok@$kwok_version"
  kwok_dir=$(cd "$here" && go mod download -json "sigs.k8s.io/kwok@$kwok_version" | awk -F'"' '$2=="Dir" {print $4}')
  rm -rf "$dir/kwok-crds" "$dir/kwok-stages"
  mkdir -p "$tmp/kwok-crds"
  cp "$kwok_dir"/kustomize/crd/bases/*.yaml "$tmp/kwok-crds/"
  cp -r "$kwok_dir/kustomize/stage" "$tmp/kwok-stages"
  chmod -R u+w "$tmp/kwok-crds" "$tmp/kwok-stages"
  for b in "${bins[@]}"; do mv -f "$tmp/$b" "$dir/bin/$b"; done
  mv "$tmp/kwok-crds" "$dir/kwok-crds"
  mv "$tmp/kwok-stages" "$dir/kwok-stages"
fi
complete || { echo "testenv binaries incomplete in $dir" >&2; exit 1; }
echo "$dir"
