#!/usr/bin/env bash
# Install the real agent CLIs into a cache dir (not part of `make test`).
# npm packages go under $DIR/npm (npm --prefix), aider into a venv at $DIR/aider-venv.
# Idempotent: an already-installed package is left alone (pass --upgrade to reinstall).
set -u
DIR="${TMUXORCH_REAL_AGENTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tmuxorch/real-agents}"
UPGRADE=0
[ "${1:-}" = "--upgrade" ] && UPGRADE=1
mkdir -p "$DIR/npm" "$DIR/bin"
failed=()
ok=()

npm_pkg() { # package binary
  local pkg="$1" bin="$2"
  if [ "$UPGRADE" = 0 ] && [ -x "$DIR/npm/node_modules/.bin/$bin" ]; then
    ok+=("$pkg (already installed)")
  elif ! command -v npm >/dev/null 2>&1; then
    failed+=("$pkg: npm not found"); return
  elif npm install --silent --no-audit --no-fund --prefix "$DIR/npm" "$pkg@latest" >"$DIR/$bin.install.log" 2>&1; then
    ok+=("$pkg")
  else
    failed+=("$pkg: npm install failed, see $DIR/$bin.install.log"); return
  fi
  ln -sf "$DIR/npm/node_modules/.bin/$bin" "$DIR/bin/$bin"
}

npm_pkg @anthropic-ai/claude-code claude
npm_pkg @openai/codex codex
npm_pkg @google/gemini-cli gemini
npm_pkg opencode-ai opencode

PY="${PYTHON:-python3}"
if [ "$UPGRADE" = 0 ] && [ -x "$DIR/aider-venv/bin/aider" ]; then
  ok+=("aider-chat (already installed)")
elif ! command -v "$PY" >/dev/null 2>&1; then
  failed+=("aider-chat: $PY not found")
elif { [ -x "$DIR/aider-venv/bin/pip" ] || "$PY" -m venv "$DIR/aider-venv"; } >"$DIR/aider.install.log" 2>&1 \
  && "$DIR/aider-venv/bin/pip" install -q -U aider-chat >>"$DIR/aider.install.log" 2>&1; then
  ok+=("aider-chat")
else
  failed+=("aider-chat: pip install failed, see $DIR/aider.install.log")
fi
[ -x "$DIR/aider-venv/bin/aider" ] && ln -sf "$DIR/aider-venv/bin/aider" "$DIR/bin/aider"

for item in "${ok[@]}"; do echo "ok      $item"; done
for item in "${failed[@]}"; do echo "FAILED  $item" >&2; done
echo "binaries: $DIR/bin  (export PATH=\"$DIR/bin:\$PATH\")"
[ "${#failed[@]}" = 0 ]
