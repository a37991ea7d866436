#!/usr/bin/env bash
# The seed's implementation for bench/bench_seed.py: snowflake-ml-python (Snowflake's DataConnector) in a
# virtualenv of its own, bench/seed-venv, because it pins pandas<3 and the project's venv has pandas 3.
# torch and tensorflow (no conflicting pins) come from the project's venv through a .pth file placed after
# the seed venv's own packages, which saves downloading them again (about 5 GiB); without them there, or
# with SEED_VENV_OWN_FRAMEWORKS=1, they are installed into the seed venv as well.
#
#     bench/make_seed_venv.sh                # uses .venv (the project's venv) as the framework source
#     PROJECT_VENV=/path/to/venv bench/make_seed_venv.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project_venv="${PROJECT_VENV:-$root/.venv}"
seed="$root/bench/seed-venv"
python="$("$project_venv/bin/python" -c 'import sys, os; print(os.path.join(sys.base_prefix, "bin", "python3"))')"
started=$SECONDS
[ -x "$seed/bin/python" ] || "$python" -m venv "$seed"
"$seed/bin/pip" install -q "snowflake-ml-python>=2.6"
project_site="$("$project_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
seed_site="$("$seed/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ "${SEED_VENV_OWN_FRAMEWORKS:-0}" != 1 ] && "$project_venv/bin/python" -c 'import torch, tensorflow' 2>/dev/null; then
    # "zz": after every other .pth, so the seed's own packages (pandas 2) come first on sys.path
    echo "import site; site.addsitedir('$project_site')" > "$seed_site/zz-project-frameworks.pth"
else
    "$seed/bin/pip" install -q torch tensorflow-cpu
fi
"$seed/bin/python" -c 'import pandas, torch, tensorflow, snowflake.ml.data.data_connector as d
print("seed venv ready: pandas", pandas.__version__, "torch", torch.__version__, "tensorflow", tensorflow.__version__)'
echo "$(du -sh "$seed" | cut -f1) in $seed, made in $((SECONDS - started)) s"
