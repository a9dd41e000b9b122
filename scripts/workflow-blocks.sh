#!/usr/bin/env bash
# Writes each ```yaml block of the given Markdown files that is a whole workflow (it has
# on: and jobs:) to DIR/<file>-<n>.yml, for actionlint. Usage: workflow-blocks.sh DIR FILE...
set -euo pipefail
out=$1; shift
mkdir -p "$out"
for md in "$@"; do
  awk -v out="$out" -v base="$(basename "$md" .md)" '
    /^```yaml[[:space:]]*$/ { inblock = 1; n++; text = ""; next }
    /^```[[:space:]]*$/ && inblock {
      inblock = 0
      if (text ~ /(^|\n)on:/ && text ~ /(^|\n)jobs:/) { f = out "/" base "-" n ".yml"; printf "%s", text > f; close(f) }
      next
    }
    inblock { text = text $0 "\n" }
  ' "$md"
done
ls "$out"/*.yml 2>/dev/null | wc -l
