#!/bin/sh
# The image's entrypoint: fail with what to do when a mounted results/ or data/ folder cannot be written by the
# uid the container runs as (a root-owned folder, or one Docker created because it did not exist), then run the
# command. A uid without a home of its own (any --user) gets a fresh one for the caches of Snakemake, matplotlib
# and Hugging Face.
if [ ! -O "${HOME:-/}" ] || [ ! -w "${HOME:-/}" ]; then
    HOME=$(mktemp -d /tmp/home.XXXXXX)
    export HOME
fi
# ... and a user name, which Snakemake asks for (a uid without a passwd entry has none).
USER=${USER:-$(id -un 2>/dev/null || echo "uid$(id -u)")}
export USER
for dir in /work/results /work/data; do
    mkdir -p "$dir" 2>/dev/null
    if [ ! -w "$dir" ]; then
        echo "$dir is not writable by uid $(id -u): create the folders on the host first (mkdir -p results data)" \
             "and run with --user \"\$(id -u):\$(id -g)\"" >&2
        exit 2
    fi
done
exec "$@"
