#!/usr/bin/env bash
# The kubectl-based collector e2e plans usually start with, written plainly the way such
# scripts are: the benchmark's "seed-style script" contender.
#   KUBECTL=kubectl NS=bench OUT=dir CRD=apigraphs.turboengine.io seed-collect.sh
set -uo pipefail
KUBECTL=${KUBECTL:-kubectl}
mkdir -p "$OUT/logs"
$KUBECTL get all -n "$NS" -o json > "$OUT/all.json"
$KUBECTL describe pods -n "$NS" > "$OUT/describe-pods.txt"
$KUBECTL get "$CRD" -n "$NS" -o yaml > "$OUT/crs.yaml"
$KUBECTL get events -n "$NS" --sort-by=.lastTimestamp > "$OUT/events.txt"
$KUBECTL get pods -n "$NS" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].name}{"\n"}{end}' |
while read -r pod containers; do
  for c in $containers; do
    $KUBECTL logs "$pod" -c "$c" -n "$NS" > "$OUT/logs/$pod-$c.log" 2>/dev/null
    $KUBECTL logs "$pod" -c "$c" -n "$NS" --previous > "$OUT/logs/$pod-$c.previous.log" 2>/dev/null || rm -f "$OUT/logs/$pod-$c.previous.log"
  done
done
exit 0
