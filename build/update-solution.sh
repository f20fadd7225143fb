#!/usr/bin/env bash
# Regenerates ChatKit.slnx from the projects on disk (src, tests, samples, bench), so that branches adding projects
# never conflict over it: after a merge, run this and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo '<Solution>'
  for folder in bench samples src tests; do
    mapfile -t projects < <(find "$folder" -name '*.csproj' -not -path '*/node_modules/*' -not -path '*/bin/*' -not -path '*/obj/*' 2>/dev/null | sort)
    [ ${#projects[@]} -eq 0 ] && continue
    echo "  <Folder Name=\"/$folder/\">"
    for p in "${projects[@]}"; do echo "    <Project Path=\"$p\" />"; done
    echo '  </Folder>'
  done
  echo '</Solution>'
} > ChatKit.slnx
