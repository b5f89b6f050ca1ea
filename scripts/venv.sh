# Sourced by compat.sh, cluster.sh and browser.sh: the Python environment of the test suites,
# .venv at the repository's root, holding exactly the pinned Tests/compat/requirements.txt.
# Not run on its own.
#
# A .venv made from other requirements (or by another Python) would test other SDK versions than
# a clean machine does, so it is made anew whenever its fingerprint, kept inside it, differs.

VENV="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv"
VENV_PYTHON="$VENV/bin/python"

ensure_venv() {
  local requirements fingerprint
  requirements="$(dirname "$VENV")/Tests/compat/requirements.txt"
  fingerprint="$( (python3 --version; cat "$requirements") | sha256sum | cut -d' ' -f1)"
  if [ -x "$VENV_PYTHON" ] && [ "$(cat "$VENV/requirements.sha256" 2>/dev/null)" = "$fingerprint" ]; then
    return 0
  fi
  echo "venv.sh: installing $requirements into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  # Written last: an install that failed half-way is redone on the next run.
  echo "$fingerprint" >"$VENV/requirements.sha256"
}
