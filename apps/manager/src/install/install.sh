#!/bin/sh
# Swarm node installer, served by every manager at /install.sh:
#
#   curl -fsSL http://<manager>:<port>/install.sh | sh -s - --join-token SWMTKN-1-...
#   curl -fsSL http://<manager>:<port>/install.sh | SWARM_TOKEN=SWMTKN-1-... sh -
#
# Installs the node daemon (swarmd) from the bundle the manager serves, joins
# the cluster and starts it as a service. Nothing is trusted on first use:
#   1. the manager's CA (/install/ca.crt) must hash to the digest in the join
#      token (sha256 of the DER, base 36) -- the CA is then pinned;
#   2. /install/SHA256SUMS must carry a valid signature by that CA's key;
#   3. every download must match its line in SHA256SUMS;
#   4. over https, every request verifies the server against the pinned CA
#      (--ca-file for the very first one; never -k).
# Then, still before anything is written, the bundle asks the manager whether
# the token would be accepted (swarmd --check-join).
#
# Re-running changes only what differs and restarts only if something changed.
# The whole script is one brace group ending in `main "$@"`: a truncated
# download runs nothing.
{
set -eu

BAKED_URL='@@SWARM_URL@@'
BAKED_JOIN_ADDR='@@SWARM_JOIN_ADDR@@'
VERSION='@@SWARM_VERSION@@'
MANAGER_JOIN='@@SWARM_MANAGER_JOIN@@'
NODE_MIN_MAJOR=20

info() { printf '[swarm] %s\n' "$*"; }
warn() { printf '[swarm] warning: %s\n' "$*" >&2; }
fatal() {
  printf '[swarm] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Swarm node installer.

  curl -fsSL <manager-url>/install.sh | sh -s - --join-token SWMTKN-1-... [flags]

Flags (environment variable in brackets):
  --join-token T       join token from the manager (SWARM_TOKEN)
  --url URL            manager URL serving this installer (SWARM_URL; default: where it came from)
  --join-addr H:P      manager remote API to join (SWARM_JOIN_ADDR; default: from the manager)
  --ca-file FILE       cluster CA to verify an https manager with (SWARM_CA_FILE)
  --manager            join as a manager (needs a manager token)
  --hostname NAME      node hostname (default: the machine's)
  --labels k=v,...     node labels, set when the node joins
  --state-dir DIR      swarmd state (default: <prefix>/var/lib/swarmd)
  --prefix DIR         install under DIR instead of / (tests, unprivileged installs)
  --executor KIND      docker (default), process or sim; Docker is only required for docker
  --listen-remote-api H:P   remote API address (managers)
  --listen-http H:P    dashboard and API address of a manager (default 127.0.0.1:4280)
  --dry-run            print what would be done; change nothing
  -h, --help           this help

Installs <prefix>/opt/swarm (the bundle), <prefix>/etc/swarm/swarmd.env (mode 0600),
a systemd unit (<prefix>/etc/systemd/system/swarmd.service) when systemd runs this
machine and the prefix is /, else <prefix>/etc/init.d/swarmd, and
<prefix>/usr/local/bin/swarm-uninstall.
EOF
}

# --- arguments ---------------------------------------------------------------

parse_args() {
  TOKEN=${SWARM_TOKEN:-}
  URL=${SWARM_URL:-$BAKED_URL}
  JOIN_ADDR=${SWARM_JOIN_ADDR:-}
  CA_FILE=${SWARM_CA_FILE:-}
  ROLE=worker
  NODE_HOSTNAME=
  LABELS=
  STATE_DIR=
  PREFIX=/
  EXECUTOR=docker
  LISTEN_REMOTE_API=
  LISTEN_HTTP=
  DRY_RUN=0
  while [ $# -gt 0 ]; do
    case $1 in
      --join-token) need_value "$@"; TOKEN=$2; shift 2 ;;
      --url) need_value "$@"; URL=$2; shift 2 ;;
      --join-addr) need_value "$@"; JOIN_ADDR=$2; shift 2 ;;
      --ca-file) need_value "$@"; CA_FILE=$2; shift 2 ;;
      --manager) ROLE=manager; shift ;;
      --hostname) need_value "$@"; NODE_HOSTNAME=$2; shift 2 ;;
      --labels) need_value "$@"; LABELS=$2; shift 2 ;;
      --state-dir) need_value "$@"; STATE_DIR=$2; shift 2 ;;
      --prefix) need_value "$@"; PREFIX=$2; shift 2 ;;
      --executor) need_value "$@"; EXECUTOR=$2; shift 2 ;;
      --listen-remote-api) need_value "$@"; LISTEN_REMOTE_API=$2; shift 2 ;;
      --listen-http) need_value "$@"; LISTEN_HTTP=$2; shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) fatal "unknown argument: $1 (see --help)" ;;
    esac
  done

  [ -n "$TOKEN" ] || fatal "a join token is required: --join-token SWMTKN-1-... (or SWARM_TOKEN)"
  case $TOKEN in
    SWMTKN-1-*-*) ;;
    *) fatal "invalid join token: expected SWMTKN-1-<digest>-<secret>" ;;
  esac
  DIGEST=$(printf '%s' "$TOKEN" | cut -d- -f3)
  SECRET=$(printf '%s' "$TOKEN" | cut -d- -f4-)
  printf '%s' "$DIGEST" | grep -Eq '^[0-9a-z]{50}$' || fatal "invalid join token: the CA digest must be 50 base-36 characters"
  printf '%s' "$SECRET" | grep -Eq '^[0-9a-z]{25}$' || fatal "invalid join token: the secret must be 25 base-36 characters"

  case $URL in
    http://* | https://*) URL=${URL%/} ;;
    '' | @@*) fatal "no manager URL: pass --url or SWARM_URL" ;;
    *) fatal "invalid manager URL: $URL (expected http(s)://host:port)" ;;
  esac
  if [ -z "$JOIN_ADDR" ]; then
    case $BAKED_JOIN_ADDR in
      '' | @@*) fatal "no manager address to join: pass --join-addr host:port" ;;
      *) JOIN_ADDR=$BAKED_JOIN_ADDR ;;
    esac
  fi
  case $EXECUTOR in
    docker | process | sim) ;;
    *) fatal "invalid --executor: $EXECUTOR (docker, process or sim)" ;;
  esac
  if [ -n "$LABELS" ]; then
    printf '%s' "$LABELS" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9._/-]*=[^,]*(,[A-Za-z0-9][A-Za-z0-9._/-]*=[^,]*)*$' ||
      fatal "invalid --labels: expected key=value[,key=value...]"
  fi
  if [ -n "$NODE_HOSTNAME" ]; then
    printf '%s' "$NODE_HOSTNAME" | grep -Eq '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$' || fatal "invalid --hostname: $NODE_HOSTNAME"
  fi
  [ -z "$LISTEN_HTTP" ] || [ "$ROLE" = manager ] || fatal "--listen-http is for managers (--manager)"
  for v in "$TOKEN" "$URL" "$JOIN_ADDR" "$NODE_HOSTNAME" "$LABELS" "$PREFIX" "$STATE_DIR" "$LISTEN_REMOTE_API" "$LISTEN_HTTP" "$CA_FILE"; do
    case $v in
      *"'"* | *[[:space:]]*) fatal "values may not contain quotes or spaces: $v" ;;
    esac
  done

  case $PREFIX in
    /*) ;;
    *) fatal "--prefix must be an absolute path" ;;
  esac
  PREFIX=${PREFIX%/}
  ROOT=${PREFIX:-/}
  [ -n "$STATE_DIR" ] || STATE_DIR=$PREFIX/var/lib/swarmd
  case $STATE_DIR in
    / | /*/ | *//* | */. | */.. | */./* | */../*) fatal "--state-dir must be a plain absolute path, not $STATE_DIR" ;;
    /*) ;;
    *) fatal "--state-dir must be an absolute path" ;;
  esac
  OPT_DIR=$PREFIX/opt/swarm
  ETC_DIR=$PREFIX/etc/swarm
  ENV_FILE=$ETC_DIR/swarmd.env
  RUN_DIR=$PREFIX/var/run
  LOG_DIR=$PREFIX/var/log
  PID_FILE=$RUN_DIR/swarmd.pid
  LOG_FILE=$LOG_DIR/swarmd.log
  CONTROL_SOCKET=$RUN_DIR/swarmd.sock
  BIN_DIR=$PREFIX/usr/local/bin
  UNINSTALL=$BIN_DIR/swarm-uninstall
  UNIT_FILE=$PREFIX/etc/systemd/system/swarmd.service
  INIT_FILE=$PREFIX/etc/init.d/swarmd
  # SWARM_SERVICE_MANAGER=systemd|init overrides the detection (packagers, images built without a running systemd).
  case ${SWARM_SERVICE_MANAGER:-auto} in
    systemd) SERVICE=systemd ;;
    init) SERVICE=init ;;
    auto)
      if [ "$ROOT" = / ] && [ -d /run/systemd/system ] && [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then SERVICE=systemd; else SERVICE=init; fi
      ;;
    *) fatal "SWARM_SERVICE_MANAGER must be systemd, init or auto, not: $SWARM_SERVICE_MANAGER" ;;
  esac
  if [ "$SERVICE" = systemd ]; then SERVICE_FILE=$UNIT_FILE; else SERVICE_FILE=$INIT_FILE; fi
}

need_value() {
  [ $# -ge 2 ] || fatal "$1 needs a value"
}

# --- prerequisites (nothing is written before these pass) --------------------

check_prerequisites() {
  [ "$(uname -s)" = Linux ] || fatal "unsupported OS: $(uname -s) (Linux only)"
  case $(uname -m) in
    x86_64 | amd64 | aarch64 | arm64) ;;
    *) fatal "unsupported architecture: $(uname -m) (x86_64/amd64 or aarch64/arm64)" ;;
  esac
  for tool in curl tar gzip mktemp cmp awk cut grep sed; do
    command -v "$tool" >/dev/null 2>&1 || fatal "$tool is required but not installed"
  done
  NODE=$(command -v node 2>/dev/null) || fatal "Node.js $NODE_MIN_MAJOR or newer is required, but \`node\` is not on PATH (install it from your distribution or nodejs.org, then re-run)"
  major=$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null) || fatal "cannot run $NODE"
  [ "$major" -ge "$NODE_MIN_MAJOR" ] 2>/dev/null || fatal "Node.js $NODE_MIN_MAJOR or newer is required, found $("$NODE" --version) at $NODE"
  if [ "$EXECUTOR" = docker ]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      :
    elif [ -S /var/run/docker.sock ] && curl -fsS --max-time 5 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
      :
    else
      fatal "the Docker engine is not reachable (docker info failed, no answer on /var/run/docker.sock): start Docker, or pass --executor process"
    fi
  fi
  if [ "$ROOT" = / ] && [ "$(id -u)" != 0 ] && [ "$DRY_RUN" = 0 ]; then
    fatal "installing into / needs root (run with sudo), or pass --prefix DIR"
  fi
}

# --- download and verify -----------------------------------------------------

fetch() { # fetch <path> <file>: over https, verified by the pinned CA (or --ca-file before pinning)
  ca=${PINNED_CA:-$CA_FILE}
  case $URL in
    https://*) if [ -n "$ca" ]; then curl -fsS --proto '=https' --cacert "$ca" -o "$2" "$URL$1"; else curl -fsS --proto '=https' -o "$2" "$URL$1"; fi ;;
    *) curl -fsS -o "$2" "$URL$1" ;;
  esac
}

sha256_of() {
  "$NODE" -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$1"
}

download_and_verify() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/swarm-install.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  trap 'exit 130' INT TERM

  fetch /install/ca.crt "$TMP/ca.crt" || fatal "cannot download $URL/install/ca.crt$(case $URL in https://*) [ -n "$CA_FILE" ] || printf ' (https: pass --ca-file with the cluster CA, as the dashboard'"'"'s Join page shows)' ;; esac)"
  got=$("$NODE" -e '
    const crypto = require("crypto");
    const ca = new crypto.X509Certificate(require("fs").readFileSync(process.argv[1]));
    if (!ca.ca) throw new Error("not a CA certificate");
    process.stdout.write(BigInt("0x" + crypto.createHash("sha256").update(ca.raw).digest("hex")).toString(36).padStart(50, "0"));
  ' "$TMP/ca.crt" 2>/dev/null) || fatal "the manager at $URL served an unreadable CA certificate"
  [ "$got" = "$DIGEST" ] || fatal "the manager's CA does not match the join token (token names $DIGEST, $URL serves $got): refusing to trust it -- wrong token or wrong manager?"
  PINNED_CA=$TMP/ca.crt
  info "manager CA verified against the join token: $("$NODE" -e 'process.stdout.write(new (require("crypto").X509Certificate)(require("fs").readFileSync(process.argv[1])).fingerprint256)' "$PINNED_CA")"

  fetch /install/SHA256SUMS "$TMP/SHA256SUMS" || fatal "cannot download $URL/install/SHA256SUMS"
  fetch /install/SHA256SUMS.sig "$TMP/SHA256SUMS.sig" || fatal "cannot download $URL/install/SHA256SUMS.sig"
  "$NODE" -e '
    const crypto = require("crypto"), fs = require("fs");
    const [ca, sums, sig] = process.argv.slice(1);
    const data = Buffer.concat([Buffer.from("swarm-install-sha256sums-v1\n"), fs.readFileSync(sums)]);
    const key = new crypto.X509Certificate(fs.readFileSync(ca)).publicKey;
    if (!crypto.verify("sha256", data, key, Buffer.from(fs.readFileSync(sig, "utf8").trim(), "base64"))) process.exit(1);
  ' "$PINNED_CA" "$TMP/SHA256SUMS" "$TMP/SHA256SUMS.sig" || fatal "the signature of SHA256SUMS does not verify with the cluster CA: refusing the download"

  BUNDLE=swarm-$VERSION.tgz
  get_verified "$BUNDLE"
  BUNDLE_SHA=$EXPECTED
  WEB_SHA=
  if [ "$ROLE" = manager ] && grep -q "  swarm-web-$VERSION.tgz\$" "$TMP/SHA256SUMS"; then
    get_verified "swarm-web-$VERSION.tgz"
    WEB_SHA=$EXPECTED
  fi
  info "downloaded $BUNDLE and verified its checksum"

  mkdir "$TMP/bundle"
  tar -xzf "$TMP/$BUNDLE" -C "$TMP/bundle" || fatal "cannot unpack $BUNDLE"
  if [ -n "$WEB_SHA" ]; then
    mkdir "$TMP/bundle/web"
    tar -xzf "$TMP/swarm-web-$VERSION.tgz" -C "$TMP/bundle/web" || fatal "cannot unpack the dashboard files"
  fi
  # An installed manager serves the installer and this bundle too (SWARM_INSTALL_DIR layout).
  cp "$TMP/$BUNDLE" "$TMP/bundle/installer/"
  printf '%s\n%s\n' "$BUNDLE_SHA" "$WEB_SHA" >"$TMP/bundle/.checksums"
}

get_verified() { # get_verified <file>: download and check against SHA256SUMS; sets EXPECTED
  EXPECTED=$(awk -v f="$1" '$2 == f { print $1 }' "$TMP/SHA256SUMS")
  [ -n "$EXPECTED" ] || fatal "SHA256SUMS lists no $1 (the manager's build has no bundle for version $VERSION?)"
  fetch "/install/$1" "$TMP/$1" || fatal "cannot download $URL/install/$1"
  [ "$(sha256_of "$TMP/$1")" = "$EXPECTED" ] || fatal "checksum mismatch for $1: refusing it"
}

check_token() {
  # --check-join needs no state: it probes the manager and makes one harmless call.
  granted=$(SWARMD_JOIN_TOKEN=$TOKEN "$NODE" "$TMP/bundle/swarmd.mjs" --check-join --join-addr "$JOIN_ADDR" 2>"$TMP/check.err") ||
    fatal "the manager at $JOIN_ADDR does not accept this join token: $(sed -e 's/^swarmd: //' "$TMP/check.err" | tail -n 1)"
  [ "$granted" = "$ROLE" ] || {
    if [ "$ROLE" = manager ]; then fatal "this is a worker token; --manager needs the manager token"; fi
    fatal "this is a manager token: pass --manager to join as a manager, or use the worker token"
  }
  info "the manager accepts this token for a $ROLE"
  if [ "$ROLE" = manager ] && [ "$MANAGER_JOIN" != yes ]; then
    fatal "this cluster cannot add managers yet (replicated managers are not implemented in version $VERSION): join as a worker"
  fi
}

# --- what gets installed -----------------------------------------------------

render_env() {
  cat <<EOF
# swarmd settings, written by the swarm installer (mode 0600: holds the join token).
SWARM_URL='$URL'
SWARM_JOIN_ADDR='$JOIN_ADDR'
SWARMD_JOIN_TOKEN='$TOKEN'
EOF
}

swarmd_args() {
  printf '%s' "$OPT_DIR/swarmd.mjs -d $STATE_DIR --join-addr $JOIN_ADDR --executor $EXECUTOR --listen-control-api $CONTROL_SOCKET"
  [ -z "$NODE_HOSTNAME" ] || printf ' --hostname %s' "$NODE_HOSTNAME"
  [ -z "$LABELS" ] || printf ' --node-labels %s' "$LABELS"
  [ -z "$LISTEN_REMOTE_API" ] || printf ' --listen-remote-api %s' "$LISTEN_REMOTE_API"
  if [ "$ROLE" = manager ]; then
    [ ! -d "$TMP/bundle/web" ] || printf ' --web-dir %s' "$OPT_DIR/web"
    [ -z "$LISTEN_HTTP" ] || printf ' --listen-http %s' "$LISTEN_HTTP"
  else
    printf ' --no-listen-http'
  fi
}

render_unit() {
  cat <<EOF
# Written by the swarm installer.
[Unit]
Description=Swarm node daemon (swarmd)
Documentation=$URL
Wants=network-online.target
After=network-online.target docker.service

[Service]
Type=simple
EnvironmentFile=$ENV_FILE
ExecStart=$NODE $(swarmd_args)
KillMode=process
Restart=always
RestartSec=5s
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
EOF
}

render_init() {
  cat <<EOF
#!/bin/sh
### BEGIN INIT INFO
# Provides:          swarmd
# Required-Start:    \$network \$remote_fs
# Required-Stop:     \$network \$remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Swarm node daemon
### END INIT INFO
# Written by the swarm installer. Stops swarmd by its PID file only.
PID_FILE='$PID_FILE'
LOG_FILE='$LOG_FILE'
ENV_FILE='$ENV_FILE'

running() { [ -f "\$PID_FILE" ] && kill -0 "\$(cat "\$PID_FILE")" 2>/dev/null; }

case "\${1:-}" in
  start)
    if running; then echo "swarmd is running (pid \$(cat "\$PID_FILE"))"; exit 0; fi
    mkdir -p "\$(dirname "\$PID_FILE")" "\$(dirname "\$LOG_FILE")"
    set -a
    # shellcheck source=/dev/null
    . "\$ENV_FILE"
    set +a
    nohup $NODE $(swarmd_args) >>"\$LOG_FILE" 2>&1 </dev/null &
    echo \$! >"\$PID_FILE"
    echo "swarmd started (pid \$!)"
    ;;
  stop)
    if ! running; then rm -f "\$PID_FILE"; echo "swarmd is not running"; exit 0; fi
    pid=\$(cat "\$PID_FILE")
    kill "\$pid"
    i=0
    while kill -0 "\$pid" 2>/dev/null && [ \$i -lt 150 ]; do sleep 0.1; i=\$((i + 1)); done
    if kill -0 "\$pid" 2>/dev/null; then kill -9 "\$pid"; fi
    rm -f "\$PID_FILE"
    echo "swarmd stopped"
    ;;
  restart)
    "\$0" stop
    "\$0" start
    ;;
  status)
    if running; then echo "swarmd is running (pid \$(cat "\$PID_FILE"))"; else echo "swarmd is not running"; exit 3; fi
    ;;
  *)
    echo "usage: \$0 {start|stop|restart|status}" >&2
    exit 2
    ;;
esac
EOF
}

render_uninstall() {
  cat <<EOF
#!/bin/sh
# Written by the swarm installer: stops swarmd and removes what the installer
# installed. Containers started for tasks keep running unless
# --remove-containers is given.
set -eu
remove_containers=0
for a in "\$@"; do
  case \$a in
    --remove-containers) remove_containers=1 ;;
    -h | --help) echo "usage: \$0 [--remove-containers]"; exit 0 ;;
    *) echo "unknown argument: \$a" >&2; exit 2 ;;
  esac
done
node_id=\$('$NODE' -e 'process.stdout.write(/CN=(\\w+)/.exec(new (require("crypto").X509Certificate)(require("fs").readFileSync(process.argv[1])).subject)[1])' '$STATE_DIR/certificates/swarm-node.crt' 2>/dev/null || true)
EOF
  if [ "$SERVICE" = systemd ]; then
    cat <<EOF
systemctl stop swarmd 2>/dev/null || true
systemctl disable swarmd 2>/dev/null || true
rm -f '$UNIT_FILE'
systemctl daemon-reload 2>/dev/null || true
EOF
  else
    printf '%s\n' "[ ! -x '$INIT_FILE' ] || '$INIT_FILE' stop"
    [ "$ROOT" != / ] || printf '%s\n' "if command -v update-rc.d >/dev/null 2>&1; then update-rc.d -f swarmd remove >/dev/null 2>&1 || true; fi"
    printf '%s\n' "rm -f '$INIT_FILE'"
  fi
  cat <<EOF
if [ "\$remove_containers" = 1 ] && command -v docker >/dev/null 2>&1; then
  ids=\$(docker ps -aq --filter label=com.swarm.managed=true \${node_id:+--filter "label=com.swarm.node.id=\$node_id"} 2>/dev/null || true)
  [ -z "\$ids" ] || printf '%s\\n' "\$ids" | xargs docker rm -f >/dev/null
fi
rm -rf '$OPT_DIR' '$ETC_DIR' '$STATE_DIR'
rm -f '$PID_FILE' '$LOG_FILE' '$CONTROL_SOCKET' '$UNINSTALL'
EOF
  if [ "$ROOT" != / ]; then
    # Under a prefix, also remove the directories the installer created, if empty.
    cat <<EOF
for d in '$BIN_DIR' '$PREFIX/usr/local' '$PREFIX/usr' '$PREFIX/etc/init.d' '$PREFIX/etc/systemd/system' '$PREFIX/etc/systemd' '$PREFIX/etc' '$PREFIX/opt' '$RUN_DIR' '$LOG_DIR' '$PREFIX/var/lib' '$PREFIX/var'; do
  rmdir "\$d" 2>/dev/null || true
done
EOF
  fi
  echo 'echo "swarm node removed"'
}

# --- apply ---------------------------------------------------------------------

CHANGED=0

install_file() { # install_file <rendered> <dest> <mode>: replaces dest only if it differs
  if [ -f "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = "$3" ]; then
    return 0
  fi
  CHANGED=1
  if [ "$DRY_RUN" = 1 ]; then
    info "would write $2 (mode $3)"
    return 0
  fi
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.new.$$"
  chmod "$3" "$2.new.$$"
  mv -f "$2.new.$$" "$2"
  info "wrote $2"
}

install_bundle() {
  if [ -f "$OPT_DIR/.checksums" ] && cmp -s "$TMP/bundle/.checksums" "$OPT_DIR/.checksums"; then
    return 0
  fi
  CHANGED=1
  if [ "$DRY_RUN" = 1 ]; then
    info "would install swarmd $VERSION into $OPT_DIR"
    return 0
  fi
  mkdir -p "$(dirname "$OPT_DIR")"
  rm -rf "$OPT_DIR.new"
  cp -R "$TMP/bundle" "$OPT_DIR.new"
  rm -rf "$OPT_DIR.old"
  [ ! -d "$OPT_DIR" ] || mv "$OPT_DIR" "$OPT_DIR.old"
  mv "$OPT_DIR.new" "$OPT_DIR"
  rm -rf "$OPT_DIR.old"
  info "installed swarmd $VERSION into $OPT_DIR"
}

service_running() {
  if [ "$SERVICE" = systemd ]; then
    systemctl is-active --quiet swarmd
  else
    [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
  fi
}

start_service() {
  if [ "$SERVICE" = systemd ]; then
    systemctl daemon-reload
    systemctl enable swarmd >/dev/null 2>&1
    systemctl restart swarmd
  else
    if [ "$ROOT" = / ] && command -v update-rc.d >/dev/null 2>&1; then update-rc.d swarmd defaults >/dev/null 2>&1 || true; fi
    "$INIT_FILE" stop >/dev/null
    mkdir -p "$LOG_DIR"
    "$INIT_FILE" start
  fi
  wait_up
}

wait_up() {
  i=0
  while [ $i -lt 600 ]; do
    if [ "$SERVICE" = init ]; then
      if grep -q ' is up as ' "$LOG_FILE" 2>/dev/null && [ "$(grep -c ' is up as ' "$LOG_FILE")" -gt "$UP_BEFORE" ]; then
        info "swarmd is up (pid $(cat "$PID_FILE")); log: $LOG_FILE"
        return 0
      fi
      service_running || {
        tail -n 5 "$LOG_FILE" >&2 || true
        fatal "swarmd exited during start (log: $LOG_FILE)"
      }
    else
      if service_running && [ $i -ge 30 ]; then
        info "swarmd is active (systemctl status swarmd; journalctl -u swarmd)"
        return 0
      fi
    fi
    sleep 0.1
    i=$((i + 1))
  done
  fatal "swarmd did not come up within 60 s (log: $LOG_FILE)"
}

main() {
  parse_args "$@"
  check_prerequisites
  info "installing a swarm $ROLE node from $URL (remote API $JOIN_ADDR) into $ROOT"
  case $URL in
    http://127.* | http://localhost[:/]* | http://\[::1\]*) ;;
    http://*) warn "plain http: every download is verified (CA pinned by the token, signed checksums), but this script itself was not" ;;
  esac
  download_and_verify
  check_token

  render_env >"$TMP/swarmd.env"
  if [ "$SERVICE" = systemd ]; then render_unit >"$TMP/service"; else render_init >"$TMP/service"; fi
  render_uninstall >"$TMP/uninstall"

  install_bundle
  install_file "$TMP/swarmd.env" "$ENV_FILE" 600
  install_file "$TMP/service" "$SERVICE_FILE" 755
  install_file "$TMP/uninstall" "$UNINSTALL" 755

  if [ "$DRY_RUN" = 1 ]; then
    if [ "$CHANGED" = 1 ]; then info "dry run: would (re)start swarmd"; else info "dry run: no changes"; fi
    return 0
  fi
  UP_BEFORE=$(grep -c ' is up as ' "$LOG_FILE" 2>/dev/null || true)
  UP_BEFORE=${UP_BEFORE:-0}
  if [ "$CHANGED" = 1 ]; then
    start_service
    info "done; remove with $UNINSTALL"
  elif ! service_running; then
    info "no changes, but swarmd is not running: starting it"
    start_service
  else
    info "no changes"
  fi
}

main "$@"
}
