#!/usr/bin/env bash
# make docker-test (opt-in, not part of `make test`): builds the image's test stage with podman on a local
# Debian 12 base, which imports the stack, renders MuJoCo under EGL and OSMesa and runs the tiny pipeline.
#   docker/test.sh                    # as root (debootstrap, podman); needs the network; ~10 min, ~7 GB
# BASE          the base image (default localhost/debian:bookworm, made here with debootstrap + podman import)
# CA_BUNDLE     the CA bundle the host trusts (default /etc/ssl/certs/ca-certificates.crt), mounted into the build
#               with a pip config pointing at it: a package index behind a TLS-intercepting proxy then works,
#               and nothing of this host ends up in the Dockerfile or the image
# DEBIAN_MIRROR the mirror debootstrap uses (default http://deb.debian.org/debian)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:-localhost/debian:bookworm}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
for tool in podman debootstrap; do
    command -v "$tool" >/dev/null || { echo "docker-test needs $tool (apt-get install podman debootstrap)" >&2; exit 2; }
done

if ! podman image exists "$BASE"; then
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
    tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE"
fi

build_conf=$(mktemp -d)
printf '[global]\ncert = /run/host-ca/ca.crt\n' > "$build_conf/pip.conf"
started=$(date +%s)
podman build --isolation=chroot --network=host \
    --volume "$CA_BUNDLE:/run/host-ca/ca.crt:ro" --volume "$build_conf/pip.conf:/etc/pip.conf:ro" \
    --build-arg BASE_IMAGE="$BASE" --target test --tag offrl-repl:test .
echo "docker-test: image built and tested in $(( $(date +%s) - started )) s; $(podman image inspect offrl-repl:test \
    --format '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}')"
