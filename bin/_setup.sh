# Shared by bin/serve and bin/test (sourced, not run): a virtualenv in .venv holding the
# pinned dependencies, reinstalled only when a requirements file changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "chimera needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" -V 2>&1 || echo missing)." >&2
    echo "Point PYTHON at one, for example: PYTHON=python3.12 $0" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtualenv in .venv ..."
    "$PYTHON" -m venv .venv
fi

# install_requirements FILE: pip install -r FILE, skipped when nothing it names has changed.
install_requirements() {
    local stamp
    stamp=".venv/.installed-$(basename "$1")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "Installing $1 into .venv ..."
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
        .venv/bin/python -m pip check
        rm -f .venv/.installed-"$(basename "$1")"-*
        touch "$stamp"
    fi
    # gunicorn casts WEB_CONCURRENCY as it imports, before any configuration file: a .pth file
    # names a value it cannot cast in one line instead of its traceback (observability/worker_count.py).
    .venv/bin/python -m observability.worker_count install >/dev/null
}

# ensure_env_file: a .env with a freshly generated SECRET_KEY, unless one is configured already.
ensure_env_file() {
    if [ -z "${CHIMERA_ENV_FILE+set}" ] && [ ! -f .env ] && [ -z "${SECRET_KEY:-}" ]; then
        echo "Writing .env with a new SECRET_KEY (see .env.template for every setting) ..."
        (umask 077 && .venv/bin/python - > .env <<'PY'
import secrets
print("# Local settings; .env.template lists every variable with its default.")
print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
PY
        )
    fi
}
