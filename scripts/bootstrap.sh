#!/usr/bin/env bash
# Set up everything tmuxorch needs on a fresh machine: tmux (a system package), a Python >= 3.11
# virtual environment in .venv, and the project installed into it in editable mode with its dev
# tools. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bootstrap: %s\n' "$*" >&2; }

need_tmux_version="3.2"
ensure_tmux() {
  if ! command -v tmux >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
      say "tmux is missing: installing it with apt-get"
      local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
      $sudo apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tmux >/dev/null
    else
      say "tmux is not installed and cannot be installed automatically here."
      say "Install tmux >= $need_tmux_version with your package manager (e.g. 'sudo apt-get install tmux', 'brew install tmux') and run this again."
      exit 3
    fi
  fi
  local have; have=$(tmux -V | sed -E 's/^tmux (next-)?([0-9]+\.[0-9]+).*/\2/')
  if [ "$(printf '%s\n%s\n' "$need_tmux_version" "$have" | sort -V | head -n1)" != "$need_tmux_version" ]; then
    say "tmux $have is too old: tmuxorch needs tmux >= $need_tmux_version (control-mode flags and subscriptions)."
    exit 3
  fi
}

find_python() {
  for py in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  say "Python >= 3.11 is required but was not found (set PYTHON=/path/to/python3.11 to choose one)."
  exit 3
}

ensure_venv() {
  local extras="$1"
  local py; py=$(find_python)
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $py"
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed-$extras-$(cksum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    say "installing tmuxorch[$extras] into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    # (grep drops pip's notes about unreachable mirror locations, which some machines configure)
    .venv/bin/python -m pip install -q -e ".[$extras]" 2> >(grep -v 'is ignored: it is neither' >&2)
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}

ensure_tmux
ensure_venv "${1:-dev}"
