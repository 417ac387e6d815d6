#!/bin/sh
# First `locate` and one `plan` round on an ingested case, for several source trees in turn.
#
#   bench/first_locate.sh CASE_DIR WORK_DIR LABEL=SRC_ROOT [LABEL=SRC_ROOT ...]
#
# CASE_DIR is a case folder already ingested (its .fusioncell/ store holds no
# derived tables yet: ingest only). For each LABEL=SRC_ROOT, in the order given
# (repeat one to alternate), the folder is copied to WORK_DIR/LABEL, then
# `fusioncell locate` (the first run: resolve builds its derived tables) and
# `fusioncell plan` run under /usr/bin/time with SRC_ROOT first on PYTHONPATH.
# Prints one line per run: label, command, wall seconds, peak RSS MB.
# Run under `nice`; the machine is shared.
set -eu
case_dir=$1; work=$2; shift 2
py=${PYTHON:-python}
mkdir -p "$work"
for spec in "$@"; do
    label=${spec%%=*}; src=${spec#*=}
    # cp -a keeps modification times: ingest's unchanged-file check then reuses its facts, as after a real ingest
    rm -rf "$work/$label"; cp -a "$case_dir" "$work/$label"
    for cmd in locate plan; do
        PYTHONPATH=$src /usr/bin/time -f "%e %M" -o "$work/$label.$cmd.time" \
            "$py" -c "import sys; from fusioncell.cli import main; sys.argv[0] = 'fusioncell'; sys.exit(main())" \
            $cmd "$work/$label" --format json > "$work/$label.$cmd.json" 2> "$work/$label.$cmd.log"
        read -r wall rss < "$work/$label.$cmd.time"
        echo "$label $cmd ${wall}s $((rss / 1024))MB"
    done
done
