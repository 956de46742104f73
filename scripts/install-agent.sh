#!/bin/sh
# Installs the Capstan agent on this node, registers it and starts it under systemd; or, with
# --uninstall, removes all of it. Run as root. A Capstan server serves this script, so:
#
#   curl -fsSL https://SERVER/capstan/agent/v1/install.sh | sudo sh -s -- \
#        --endpoint https://SERVER --activation-id ID --activation-code CODE
#
# Nodes with Node.js >= 20 get the one-file JavaScript build (capstan-agent.mjs) and a wrapper;
# others the single executable capstan-agent-linux-<arch>; both from the server unless --binary
# names a file or URL. With either goes capstan-agent-pty-linux-<arch>.node, the native addon
# interactive shells need, from beside the agent's download. Downloads are verified like the
# agent's own connections: the system CAs, --ca-file, or --pin-sha256 (the SHA-256 fingerprint
# of the server's certificate).
set -eu

PROG=install-agent
DOWNLOADS=/capstan/agent/v1/download

usage() {
  cat <<'EOF'
usage: install-agent.sh --endpoint URL --activation-id ID --activation-code CODE [--region R]
                        [--ca-file PEM | --pin-sha256 FINGERPRINT] [--binary PATH_OR_URL]
                        [--prefix /usr/local] [--state-dir /var/lib/capstan-agent]
                        [--unit-path /etc/systemd/system/capstan-agent.service] [--no-start]
       install-agent.sh --uninstall [--prefix …] [--state-dir …] [--unit-path …] [--no-start]

Places the agent at PREFIX/bin/capstan-agent (and in PREFIX/lib/capstan-agent the JavaScript
build and the addon interactive shells need), registers it with the activation (kept in the
state directory; an already registered node keeps its identity), and writes, enables and starts
the systemd unit. --no-start only writes the unit. Without a running systemd the unit is written
and the commands to start it are printed.
--uninstall stops and removes the unit, the agent and the state directory (the node stays
listed on the server until DeregisterManagedInstance); with --no-start it calls no systemctl.
Run as root, or as another user with --prefix, --state-dir and --unit-path all given.
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 1
}

# One argument quoted for sh.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# systemctl may be installed where systemd does not run (containers): sd_booted() checks this directory.
systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

has_node20() { command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' >/dev/null 2>&1; }

# The host (and port) of an http(s) URL.
url_host() { printf '%s' "$1" | sed -e 's|^[a-zA-Z]*://||' -e 's|[/?#].*||' -e 's|^.*@||'; }

is_loopback() {
  case $(url_host "$1") in
    localhost | localhost:* | 127.* | '[::1]' | '[::1]:'*) return 0 ;;
  esac
  return 1
}

# The agent runs what its server sends as root; so does this script with what it downloads.
check_url() {
  case $1 in
    https://*) ;;
    http://*) is_loopback "$1" || die "$1 is not on this machine: use https:// (with --ca-file or --pin-sha256 for a private certificate)" ;;
    *) die "$1: not an http(s) URL" ;;
  esac
}

# --pin-sha256 pins the certificate (the SHA-256 fingerprint of its DER, as the agent checks it);
# curl's --pinnedpubkey pins a public key (base64 SHA-256 of the SubjectPublicKeyInfo). So: read
# the server's certificate, check its fingerprint against the pin, and have curl pin its key.
PINNED_KEY=''
pinned_key() { # URL
  [ -z "$PINNED_KEY" ] || return 0
  command -v openssl >/dev/null 2>&1 || die "--pin-sha256 needs openssl to check the server's certificate before downloading"
  hostport=$(url_host "$1")
  case $hostport in
    \[*\]:* | *:*) ;;
    *) hostport=$hostport:443 ;;
  esac
  case $hostport in \[*\]) hostport=$hostport:443 ;; esac
  host=${hostport%:*}
  set -- -connect "$hostport"
  case $host in \[*) ;; *[a-zA-Z]*) set -- "$@" -servername "$host" ;; esac
  cert=$(openssl s_client "$@" </dev/null 2>/dev/null | openssl x509 2>/dev/null) || die "could not read the certificate of $hostport"
  got=$(printf '%s\n' "$cert" | openssl x509 -noout -fingerprint -sha256 | sed 's/^[^=]*=//' | tr -d ':' | tr 'a-f' 'A-F')
  want=$(printf '%s' "$PIN" | tr -d ': ' | tr 'a-f' 'A-F')
  [ "$got" = "$want" ] || die "the certificate of $hostport (SHA-256 $got) is not the pinned one ($want)"
  PINNED_KEY=$(printf '%s\n' "$cert" | openssl x509 -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A)
}

download() { # URL FILE
  check_url "$1"
  command -v curl >/dev/null 2>&1 || die "curl is needed to download $1"
  url=$1 file=$2
  set --
  case $url in
    https://*)
      if [ -n "$CA_FILE" ]; then
        set -- --cacert "$CA_FILE"
      elif [ -n "$PIN" ]; then
        pinned_key "$url"
        # --insecure skips the CA chain (the certificate may be self-signed); the key pin still holds.
        set -- --insecure --pinnedpubkey "sha256//$PINNED_KEY"
      fi
      ;;
  esac
  curl -fsSL --proto '=http,https' "$@" -o "$file" "$url" || die "could not download $url"
}

# node-pty's addon, from beside the agent's download or file; without it the agent runs all but
# interactive shells, so a server or directory that lacks it only warns.
fetch_pty_addon() { # FILE
  case $(uname -m) in
    x86_64 | amd64) PTY_ADDON=capstan-agent-pty-linux-x64.node ;;
    aarch64 | arm64) PTY_ADDON=capstan-agent-pty-linux-arm64.node ;;
    *)
      say "no interactive shells: there is no pty addon for $(uname -m)"
      return 1
      ;;
  esac
  case $BINARY in
    http://* | https://*)
      from=${BINARY%/*}/$PTY_ADDON
      (download "$from" "$1") 2>/dev/null || :
      ;;
    *)
      from=$(dirname "$BINARY")/$PTY_ADDON
      [ ! -f "$from" ] || cp "$from" "$1"
      ;;
  esac
  if [ ! -s "$1" ]; then
    rm -f "$1"
    say "no interactive shells until $PTY_ADDON is placed in $LIB: could not get $from"
    return 1
  fi
  [ "$(dd bs=4 count=1 <"$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || die "$from is not a native addon"
}

parse() {
  ENDPOINT='' ACTIVATION_ID='' ACTIVATION_CODE='' REGION='' CA_FILE='' PIN='' BINARY=''
  PREFIX=/usr/local STATE_DIR=/var/lib/capstan-agent UNIT_PATH=/etc/systemd/system/capstan-agent.service
  START=1 UNINSTALL=0 CUSTOM=0
  while [ $# -gt 0 ]; do
    case $1 in
      --*=*)
        opt=${1%%=*} val=${1#*=}
        shift
        set -- "$opt" "$val" "$@"
        continue
        ;;
      --uninstall) UNINSTALL=1 ;;
      --no-start) START=0 ;;
      -h | --help)
        usage
        exit 0
        ;;
      --endpoint | --activation-id | --activation-code | --region | --ca-file | --pin-sha256 | --binary | --prefix | --state-dir | --unit-path)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
          --endpoint) ENDPOINT=${2%/} ;;
          --activation-id) ACTIVATION_ID=$2 ;;
          --activation-code) ACTIVATION_CODE=$2 ;;
          --region) REGION=$2 ;;
          --ca-file) CA_FILE=$2 ;;
          --pin-sha256) PIN=$2 ;;
          --binary) BINARY=$2 ;;
          --prefix) PREFIX=${2%/} CUSTOM=$((CUSTOM | 1)) ;;
          --state-dir) STATE_DIR=${2%/} CUSTOM=$((CUSTOM | 2)) ;;
          --unit-path) UNIT_PATH=$2 CUSTOM=$((CUSTOM | 4)) ;;
        esac
        shift
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
  done

  case $PREFIX in /*) ;; *) die "--prefix must be an absolute path" ;; esac
  case $STATE_DIR in /?*) ;; *) die "--state-dir must be an absolute path other than /" ;; esac
  case $UNIT_PATH in /*.service) ;; *) die "--unit-path must be an absolute path ending in .service" ;; esac
  if [ "$(id -u)" != 0 ] && [ "$CUSTOM" != 7 ]; then
    die "run as root (curl … | sudo sh -s -- …), or give --prefix, --state-dir and --unit-path"
  fi
  BIN=$PREFIX/bin/capstan-agent
  LIB=$PREFIX/lib/capstan-agent
  UNIT=$(basename "$UNIT_PATH")
}

uninstall_agent() {
  LIVE=0
  if [ "$START" = 1 ] && systemd_running; then LIVE=1; fi
  if [ "$LIVE" = 1 ] && [ -f "$UNIT_PATH" ]; then
    systemctl disable --now "$UNIT" || say "could not stop $UNIT; removing it anyway"
  fi
  if [ -f "$UNIT_PATH" ]; then
    rm -f "$UNIT_PATH"
    say "removed $UNIT_PATH"
    if [ "$LIVE" = 1 ]; then systemctl daemon-reload; fi
  fi
  if [ -e "$BIN" ]; then
    rm -f "$BIN"
    say "removed $BIN"
  fi
  if [ -d "$LIB" ]; then
    rm -rf "$LIB"
    say "removed $LIB"
  fi
  if [ -d "$STATE_DIR" ]; then
    # Only a directory the agent made: a mistyped --state-dir must not delete something else.
    if [ "$STATE_DIR" = /var/lib/capstan-agent ] || [ -f "$STATE_DIR/identity.json" ] || [ -f "$STATE_DIR/private-key.pem" ] || [ -z "$(ls -A "$STATE_DIR")" ]; then
      rm -rf "$STATE_DIR"
      say "removed $STATE_DIR"
    else
      die "$STATE_DIR does not look like the agent's state directory (no identity.json); remove it yourself"
    fi
  fi
  [ "$LIVE" = 1 ] || say "systemctl was not called: if the unit ran, run \`systemctl disable --now $UNIT && systemctl daemon-reload\`"
  say "uninstalled; the node stays listed on the server until it is deregistered (aws ssm deregister-managed-instance)"
}

install_agent() {
  [ -n "$ENDPOINT" ] || die "--endpoint is required (or --uninstall)"
  [ -n "$ACTIVATION_ID" ] || die "--activation-id is required"
  [ -n "$ACTIVATION_CODE" ] || die "--activation-code is required"
  [ -z "$CA_FILE" ] || [ -z "$PIN" ] || die "give --ca-file or --pin-sha256, not both"
  [ -z "$CA_FILE" ] || [ -r "$CA_FILE" ] || die "cannot read --ca-file $CA_FILE"
  check_url "$ENDPOINT"

  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  trap 'exit 130' INT TERM

  if [ -z "$BINARY" ]; then
    if has_node20; then
      BINARY=$ENDPOINT$DOWNLOADS/capstan-agent.mjs
    else
      case $(uname -m) in
        x86_64 | amd64) arch=x64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) die "no single executable for $(uname -m); install Node.js >= 20 and run this again" ;;
      esac
      BINARY=$ENDPOINT$DOWNLOADS/capstan-agent-linux-$arch
    fi
  fi
  case $BINARY in
    http://* | https://*)
      say "downloading $BINARY"
      download "$BINARY" "$TMP/agent"
      ;;
    *)
      [ -f "$BINARY" ] || die "--binary $BINARY: no such file"
      cp "$BINARY" "$TMP/agent"
      ;;
  esac

  # An ELF file is the single executable; anything else the JavaScript build.
  if [ "$(dd bs=4 count=1 <"$TMP/agent" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
    KIND=executable
    chmod 755 "$TMP/agent"
    "$TMP/agent" --help >/dev/null 2>&1 || die "$BINARY does not run on this machine ($(uname -m))"
  else
    KIND=javascript
    has_node20 || die "$BINARY is the JavaScript build, which needs Node.js >= 20; use capstan-agent-linux-<arch>"
    NODE=$(command -v node)
    case $NODE in /*) ;; *) die "node is not an absolute path ($NODE)" ;; esac
    "$NODE" "$TMP/agent" --help >/dev/null 2>&1 || die "$BINARY does not run under $NODE"
  fi

  PTY=0
  if fetch_pty_addon "$TMP/pty.node"; then PTY=1; fi

  # Replaced by rename, so a running agent keeps its file until it restarts.
  mkdir -p "$PREFIX/bin"
  if [ "$KIND" = executable ]; then
    cp "$TMP/agent" "$BIN.new"
    chmod 755 "$BIN.new"
    mv -f "$BIN.new" "$BIN"
    rm -f "$LIB/capstan-agent.mjs"
  else
    mkdir -p "$LIB"
    cp "$TMP/agent" "$LIB/capstan-agent.mjs.new"
    chmod 644 "$LIB/capstan-agent.mjs.new"
    mv -f "$LIB/capstan-agent.mjs.new" "$LIB/capstan-agent.mjs"
    {
      printf '#!/bin/sh\n# Written by install-agent.sh: the Capstan agent (JavaScript build) on Node.js.\n'
      printf 'exec %s %s "$@"\n' "$(quote "$NODE")" "$(quote "$LIB/capstan-agent.mjs")"
    } >"$BIN.new"
    chmod 755 "$BIN.new"
    mv -f "$BIN.new" "$BIN"
  fi
  if [ "$PTY" = 1 ]; then
    mkdir -p "$LIB"
    cp "$TMP/pty.node" "$LIB/$PTY_ADDON.new"
    chmod 644 "$LIB/$PTY_ADDON.new"
    mv -f "$LIB/$PTY_ADDON.new" "$LIB/$PTY_ADDON"
    say "installed $LIB/$PTY_ADDON (interactive shells)"
  fi
  say "installed $BIN ($KIND)"

  (umask 077 && mkdir -p "$STATE_DIR")
  chmod 700 "$STATE_DIR"
  UPGRADE=0
  if [ -f "$STATE_DIR/identity.json" ]; then
    UPGRADE=1
    instance=$(sed -n 's/.*"instanceId": *"\([^"]*\)".*/\1/p' "$STATE_DIR/identity.json")
    say "already registered as $instance (in $STATE_DIR): keeping that identity; --uninstall first to register anew"
  else
    set -- agent register --endpoint "$ENDPOINT" --activation-id "$ACTIVATION_ID" --activation-code "$ACTIVATION_CODE" --state-dir "$STATE_DIR"
    [ -z "$REGION" ] || set -- "$@" --region "$REGION"
    if [ -n "$CA_FILE" ]; then
      # The identity names the CA file it trusts: a copy beside it outlives wherever this one lies.
      cp "$CA_FILE" "$STATE_DIR/server-ca.pem"
      chmod 644 "$STATE_DIR/server-ca.pem"
      set -- "$@" --ca-file "$STATE_DIR/server-ca.pem"
    fi
    [ -z "$PIN" ] || set -- "$@" --pin-sha256 "$PIN"
    "$BIN" "$@"
  fi

  # The agent writes its own unit, so ExecStart is exactly how this build runs.
  set -- agent install-service --state-dir "$STATE_DIR" --unit-path "$UNIT_PATH"
  if [ "$START" = 0 ]; then
    set -- "$@" --no-enable
  elif ! systemd_running; then
    say "systemd is not running here: writing the unit without starting it"
    set -- "$@" --no-enable
  fi
  "$BIN" "$@"
  if [ "$START" = 1 ] && [ "$UPGRADE" = 1 ] && systemd_running; then
    systemctl restart "$UNIT"
    say "restarted $UNIT on the new build"
  fi
  say "done; check with: $BIN agent diagnose --state-dir $(quote "$STATE_DIR")"
}

main() {
  parse "$@"
  if [ "$UNINSTALL" = 1 ]; then uninstall_agent; else install_agent; fi
}

# Everything runs from here: piped into sh, a download cut short runs nothing.
main "$@"
