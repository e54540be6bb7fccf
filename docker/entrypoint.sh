#!/bin/sh
# The image's entrypoint: fail with what to do when a mounted results/ or data/ folder cannot be written by the
# uid the container runs as (a root-owned folder, or one Docker created because it did not exist), then run the
# command.
for dir in /work/results /work/data; do
    mkdir -p "$dir" 2>/dev/null
    if [ ! -w "$dir" ]; then
        echo "$dir is not writable by uid $(id -u): create the folders on the host first (mkdir -p results data)" \
             "and run with --user \"\$(id -u):\$(id -g)\"" >&2
        exit 2
    fi
done
exec "$@"
