#!/bin/sh
# Make sure a Docker engine answers on the default socket and that the test
# image local/busybox:1 exists. Installs Debian's docker.io and busybox-static
# when missing (needs root). Safe to run repeatedly.
set -eu
log() { printf '[ensure-docker] %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*"; return 1; fi
  if [ ! -f /var/lib/apt/periodic/.swarm-apt-updated ]; then
    apt-get update >/dev/null && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/.swarm-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
}

command -v dockerd >/dev/null 2>&1 || { log "installing docker.io"; apt_install docker.io; }
[ -x /bin/busybox ] || { log "installing busybox-static"; apt_install busybox-static; }

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  logfile="${DOCKERD_LOG:-/tmp/swarm-dockerd.log}"
  # setsid so the daemon outlives the calling shell's process group
  setsid dockerd --host unix:///var/run/docker.sock >"$logfile" 2>&1 < /dev/null &
  i=0
  until docker info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then log "dockerd did not answer within 60 s; see $logfile"; tail -20 "$logfile" >&2; exit 1; fi
    sleep 1
  done
fi

if ! docker image inspect local/busybox:1 >/dev/null 2>&1; then
  log "creating image local/busybox:1 from busybox-static"
  d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/tmp" "$d/etc"
  cp /bin/busybox "$d/bin/"
  for a in $("$d/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$d/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$d/etc/passwd"
  tar -C "$d" -c . | docker import - local/busybox:1 >/dev/null
  rm -rf "$d"
fi
log "docker ready: $(docker version --format '{{.Server.Version}}')"
