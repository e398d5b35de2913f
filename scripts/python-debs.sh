#!/usr/bin/env bash
# Print the Debian packages this Python needs to make a venv and build C extensions,
# empty when it already can (e.g. a pyenv or python.org build).
set -euo pipefail
py=${1:-python3}
if ! command -v "$py" >/dev/null 2>&1; then echo "python3 python3-venv python3-dev"; exit 0; fi
"$py" -c 'import ensurepip, venv' 2>/dev/null || echo "python3-venv"
"$py" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || echo "python3-dev"
