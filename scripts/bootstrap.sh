#!/usr/bin/env bash
# Installs everything safepupil needs on a fresh Debian machine with Python 3.11.
# Idempotent: each step checks first, so a second run costs a second or two.
#   scripts/bootstrap.sh            Python environment (.venv) from uv.lock
#   scripts/bootstrap.sh --browser  also Debian's chromium, for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=no
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=yes ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

apt_updated=no
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$apt_updated" = no ]; then
    echo "bootstrap: apt-get update"
    $sudo apt-get update -qq
    apt_updated=yes
  fi
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fonts so PDFs and screenshots render text; ca-certificates for the package registries.
apt_install ca-certificates fonts-dejavu-core
[ "$want_browser" = yes ] && apt_install chromium

if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
  echo "bootstrap: installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
fi
UV=$(command -v uv || echo "$HOME/.local/bin/uv")

# Bytecode compiled at install: start-up stays quick even where PYTHONDONTWRITEBYTECODE is set.
"$UV" sync --frozen --quiet --compile-bytecode
echo "bootstrap: ready (.venv/bin/safepupil)"
