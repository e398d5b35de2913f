#!/usr/bin/env bash
# Build the C cores (_core: secure messaging, _ec: elliptic curves) with AddressSanitizer +
# UndefinedBehaviorSanitizer into build/sanitize/mrtd, a fresh copy of src/mrtd, so that tree
# can go first on PYTHONPATH while the project's .venv and its normal build are left alone.
#
# Shared by scripts/sanitize-test.sh (the crypto tests) and scripts/fuzz.sh --sanitize (the
# SM and EC fuzzers). Rebuilds from scratch each time (about a second). On success it prints
# the libasan.so to preload, the only output on stdout.
# Needs: gcc with libasan/libubsan, libssl-dev, the project's .venv.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PYTHON=${PYTHON:-$root/.venv/bin/python}
CC=${CC:-gcc}
out=$root/build/sanitize

if [ ! -x "$PYTHON" ]; then
    echo "build-sanitized-cores: no $PYTHON; run 'make setup-dev' first" >&2
    exit 2
fi
libasan=$("$CC" -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
    echo "build-sanitized-cores: $CC has no libasan.so (install gcc's libasan)" >&2
    exit 2
fi

include=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

rm -rf "$out"
mkdir -p "$out"
cp -R src/mrtd "$out/mrtd"
find "$out/mrtd" \( -name '*.so' -o -name __pycache__ \) -prune -exec rm -rf {} +

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
for module in _core _ec; do
    # shellcheck disable=SC2086  # word splitting of the flag lists is intended
    "$CC" -shared -fPIC -g -O1 $sanitize -Wall -Wextra -Werror \
        -Werror=implicit-function-declaration -I"$include" \
        "src/mrtd/crypto/$module.c" -o "$out/mrtd/crypto/$module$suffix" -lcrypto >&2
done
echo "$libasan"
