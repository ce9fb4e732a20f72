#!/bin/sh
# Installs the portal-mdm agent on a systemd Linux device, from a checkout of the project:
#
#   sudo agent/packaging/install.sh --server http://mdm.example.com:8080 [--enroll-token pet_...]
#        [--ntp timesyncd|chrony] [--wipe-script /path/to/wipe] [--dry-run] [--no-start]
#
# The agent goes to /opt/portal-agent (with its npm dependencies), its config to
# /etc/portal-agent/agent.json (written once from the flags and agent.example.json; an existing
# config is kept), its state to /var/lib/portal-agent, and its unit to
# /etc/systemd/system/portal-agent.service, enabled and started. Running it again upgrades the
# agent in place and keeps the config and the state. `--destdir DIR` stages everything under
# DIR instead, without touching systemd (for packaging and tests).
set -eu

PREFIX=/opt/portal-agent
CONFIG_DIR=/etc/portal-agent
UNIT_DIR=/etc/systemd/system
DESTDIR=""
SERVER=""
ENROLL_TOKEN=""
NTP=""
WIPE_SCRIPT=""
DRY_RUN=false
START=true
DEPS=true

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --server) SERVER="$2"; shift 2 ;;
    --enroll-token) ENROLL_TOKEN="$2"; shift 2 ;;
    --ntp) NTP="$2"; shift 2 ;;
    --wipe-script) WIPE_SCRIPT="$2"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --no-start) START=false; shift ;;
    --destdir) DESTDIR="$2"; START=false; shift 2 ;;
    --skip-deps) DEPS=false; shift ;;
    -h | --help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 ;;
  esac
done

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$SOURCE/agent/main.ts" ] || fail "run me from a checkout of portal-mdm (no agent/main.ts in $SOURCE)"
[ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ] && fail "run me as root (sudo), or stage with --destdir"
[ -z "$DESTDIR" ] && [ ! -d /run/systemd/system ] && fail "this machine does not run systemd"
case "$NTP" in "" | timesyncd | chrony) ;; *) fail "--ntp must be timesyncd or chrony" ;; esac

NODE=$(command -v node) || fail "Node.js 20.19 or later is needed (node not found)"
"$NODE" -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);
' || fail "Node.js 20.19 or later is needed (found $("$NODE" --version))"

echo "== the agent in $DESTDIR$PREFIX"
mkdir -p "$DESTDIR$PREFIX"
# A clean copy of the sources, so that files removed upstream do not linger.
rm -rf "$DESTDIR$PREFIX/agent" "$DESTDIR$PREFIX/proto"
cp -R "$SOURCE/agent" "$SOURCE/proto" "$DESTDIR$PREFIX/"
cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$DESTDIR$PREFIX/"
if $DEPS; then
  # Runtime dependencies only, exactly as locked. No install scripts: the agent needs none
  # (they build the server's SQLite binding).
  (cd "$DESTDIR$PREFIX" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

echo "== config in $DESTDIR$CONFIG_DIR/agent.json"
mkdir -p "$DESTDIR$CONFIG_DIR"
chmod 0700 "$DESTDIR$CONFIG_DIR"
if [ -f "$DESTDIR$CONFIG_DIR/agent.json" ]; then
  echo "   kept the existing config"
else
  [ -n "$SERVER" ] || fail "--server is needed for a first install (no $CONFIG_DIR/agent.json yet)"
  # Written by node: the values are JSON-escaped, and the file is private (it may hold a token).
  SERVER="$SERVER" ENROLL_TOKEN="$ENROLL_TOKEN" NTP="$NTP" WIPE_SCRIPT="$WIPE_SCRIPT" DRY_RUN="$DRY_RUN" \
    "$NODE" -e '
      const fs = require("node:fs");
      const [example, target] = process.argv.slice(1);
      const config = JSON.parse(fs.readFileSync(example, "utf8"));
      const env = process.env;
      config.server = env.SERVER;
      config.enrollToken = env.ENROLL_TOKEN;
      if (env.NTP) config.ntp.mechanism = env.NTP;
      if (env.WIPE_SCRIPT) config.factoryReset.wipeScript = env.WIPE_SCRIPT;
      config.dryRun = env.DRY_RUN === "true";
      fs.writeFileSync(target, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    ' "$SOURCE/agent/packaging/agent.example.json" "$DESTDIR$CONFIG_DIR/agent.json"
fi

echo "== unit in $DESTDIR$UNIT_DIR/portal-agent.service"
mkdir -p "$DESTDIR$UNIT_DIR"
sed -e "s|^ExecStart=/usr/bin/node |ExecStart=$NODE |" \
  -e "s|/opt/portal-agent|$PREFIX|g" \
  "$SOURCE/agent/packaging/portal-agent.service" >"$DESTDIR$UNIT_DIR/portal-agent.service"
chmod 0644 "$DESTDIR$UNIT_DIR/portal-agent.service"

if [ -n "$DESTDIR" ]; then
  echo "== staged in $DESTDIR"
  exit 0
fi
systemctl daemon-reload
if $START; then
  systemctl enable portal-agent.service
  systemctl restart portal-agent.service
  echo "== portal-agent is running: journalctl -u portal-agent -f -o cat"
  [ -n "$ENROLL_TOKEN" ] || echo "   without a token it shows an enrollment code there for an admin to enter"
else
  echo "== installed; start it with: systemctl enable --now portal-agent"
fi
