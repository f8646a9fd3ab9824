# Shared by scripts/run and scripts/test: install what is missing, then build.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# install_packages run|all — apt-get only what the packages list names and dpkg lacks.
install_packages() {
  local want=$1 missing=() pkg kind
  while read -r pkg kind _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    [[ "$want" == run && "$kind" != run ]] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done <"$ROOT/scripts/packages.txt"
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "stickgen: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# configure_build DIR [cmake args...] — (re)configure DIR with Ninja; cheap when nothing changed.
configure_build() {
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
}

jobs() { nproc 2>/dev/null || echo 2; }
