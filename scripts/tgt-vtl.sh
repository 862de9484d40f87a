#!/bin/sh
# tgt-vtl.sh — a tgtd virtual tape library on 127.0.0.1 for testing Tapedeck's SCSI/iSCSI code.
#
#   scripts/tgt-vtl.sh up DIR [PORT]    start tgtd and build the library (PORT defaults to $TGT_PORT or 3261)
#   scripts/tgt-vtl.sh down DIR         delete the target and stop that tgtd (kill -9 as a last resort)
#   scripts/tgt-vtl.sh status DIR       print the library's settings if it runs (exit 1 otherwise)
#
# Needs the Debian package `tgt` (tgtd, tgtadm, tgtimg), not root. Everything lives in DIR: tape images
# (file name = barcode), the tgtd log and pid file, and the control socket (TGT_IPC_SOCKET=DIR/ipc), so a
# rig never touches a system tgtd on /var/run/tgtd or port 3260, and several rigs run side by side when
# each gets its own DIR and PORT. The portal listens on 127.0.0.1 only.
#
# Library (one iSCSI target, IQN $TGT_IQN or iqn.2024-01.io.tapedeck.test:vtl):
#   LUN 1, 2  tape drives IBM ULT3580-TD8, serials DRV0001 / DRV0002, empty at start
#   LUN 3     changer STK L700, serial LIB0001: robot 1, drives 500-501, slots 1000-1011, mail slots 10-11
#   slots     TEST01L8 … TEST08L8 in 1000-1007, 1008-1010 empty, cleaning cartridge CLN001CU in 1011
# Tape images are thin-provisioned, $TGT_TAPE_MIB MiB each (default 512; tgt reports early warning there).
# Changer state is in tgtd's memory: `down` + `up` on a fresh DIR gives a fresh library.
#
# `up` prints (and writes to DIR/vtl.env) shell assignments: TGT_HOST TGT_PORT TGT_IQN TGT_DRIVE_LUNS
# TGT_CHANGER_LUN TGT_PID. Exit status 3 means PORT was already in use (try another one).
#
# By hand:
#   scripts/tgt-vtl.sh up /tmp/vtl 3261
#   iscsi://127.0.0.1:3261/iqn.2024-01.io.tapedeck.test:vtl/1 … /3 are the drives and the changer
#   scripts/tgt-vtl.sh down /tmp/vtl
set -eu

usage() {
  sed -n '4,6s/^# //p' "$0" >&2
  exit 2
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$(mkdir -p "$2" && cd "$2" && pwd)
PORT=${3:-${TGT_PORT:-3261}}
IQN=${TGT_IQN:-iqn.2024-01.io.tapedeck.test:vtl}
TAPE_MIB=${TGT_TAPE_MIB:-512}
TGTD=${TGTD:-/usr/sbin/tgtd}

# tgtd listens on "$TGT_IPC_SOCKET.<control port>"; the control port is always 0 because the socket
# path is already unique per DIR. A unix socket path must fit in 108 bytes.
TGT_IPC_SOCKET=$DIR/ipc
export TGT_IPC_SOCKET
[ ${#TGT_IPC_SOCKET} -le 100 ] || {
  echo "tgt-vtl: directory path too long for a unix socket: $DIR" >&2
  exit 2
}
ADM="tgtadm -C 0 --lld iscsi"
PIDFILE=$DIR/tgtd.pid

# True while the process in the pid file is a live (not zombie) tgtd.
alive() {
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -r "/proc/$pid/status" ] || return 1
  grep -q '^Name:[[:space:]]*tgtd$' "/proc/$pid/status" || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

wait_gone() { # $1 = tenths of a second
  n=0
  while alive && [ $n -lt "$1" ]; do
    sleep 0.1
    n=$((n + 1))
  done
  ! alive
}

down() {
  if alive; then
    pid=$(cat "$PIDFILE")
    # tgtd ignores SIGTERM while targets exist: remove the target (and with it the LUNs and any
    # sessions) first, then ask the daemon itself to exit.
    $ADM --op delete --force --mode target --tid 1 >/dev/null 2>&1 || true
    tgtadm -C 0 --op delete --mode system >/dev/null 2>&1 || true
    wait_gone 50 || { kill -TERM "$pid" 2>/dev/null || true; wait_gone 20; } ||
      { kill -KILL "$pid" 2>/dev/null || true; wait_gone 20; } || {
      echo "tgt-vtl: tgtd $pid does not stop" >&2
      exit 1
    }
  fi
  rm -f "$PIDFILE" "$TGT_IPC_SOCKET".0 "$TGT_IPC_SOCKET".0.lock "$DIR/vtl.env"
}

up() {
  if alive; then
    echo "tgt-vtl: a tgtd from $DIR is already running (pid $(cat "$PIDFILE"))" >&2
    exit 1
  fi
  for bin in "$TGTD" tgtadm tgtimg; do
    command -v "$bin" >/dev/null 2>&1 || {
      echo "tgt-vtl: $bin not found (install the Debian package tgt)" >&2
      exit 1
    }
  done

  for bc in TEST01L8 TEST02L8 TEST03L8 TEST04L8 TEST05L8 TEST06L8 TEST07L8 TEST08L8; do
    [ -f "$DIR/$bc" ] || tgtimg --op new --device-type tape --barcode "$bc" --size "$TAPE_MIB" \
      --type data --thin-provisioning --file "$DIR/$bc" >/dev/null
  done
  [ -f "$DIR/CLN001CU" ] || tgtimg --op new --device-type tape --barcode CLN001CU --size 1 \
    --type clean --file "$DIR/CLN001CU" >/dev/null
  # The changer needs a backing file although it keeps its state in memory.
  [ -f "$DIR/smc" ] || : >"$DIR/smc"

  rm -f "$TGT_IPC_SOCKET".0 "$TGT_IPC_SOCKET".0.lock
  "$TGTD" -f -C 0 --iscsi portal=127.0.0.1:"$PORT" </dev/null >"$DIR/tgtd.log" 2>&1 &
  echo $! >"$PIDFILE"

  n=0
  until tgtadm -C 0 --op show --mode system >/dev/null 2>&1; do
    n=$((n + 1))
    if [ $n -gt 50 ] || ! alive; then
      echo "tgt-vtl: tgtd did not start, see $DIR/tgtd.log" >&2
      down
      exit 1
    fi
    sleep 0.1
  done
  # tgtd keeps running without a portal when the port is taken.
  if grep -q 'failed to create/bind to portal' "$DIR/tgtd.log"; then
    echo "tgt-vtl: port $PORT on 127.0.0.1 is in use" >&2
    down
    exit 3
  fi

  trap 'echo "tgt-vtl: setup failed, stopping tgtd" >&2; down' EXIT
  $ADM --op new --mode target --tid 1 -T "$IQN"
  for l in 1 2; do # drives without -b: removable, offline until the changer loads a tape
    $ADM --op new --mode logicalunit --tid 1 --lun $l --device-type tape --bstype ssc
    $ADM --op update --mode logicalunit --tid 1 --lun $l \
      --params vendor_id=IBM,product_id=ULT3580-TD8,product_rev=0001,scsi_sn=DRV000$l
  done
  $ADM --op new --mode logicalunit --tid 1 --lun 3 --device-type changer -b "$DIR/smc"
  set_changer() { $ADM --op update --mode logicalunit --tid 1 --lun 3 --params "$1"; }
  set_changer vendor_id=STK,product_id=L700,product_rev=0001,scsi_sn=LIB0001,media_home="$DIR"
  set_changer element_type=1,start_address=1,quantity=1
  set_changer element_type=2,start_address=1000,quantity=12
  set_changer element_type=3,start_address=10,quantity=2
  set_changer element_type=4,start_address=500,quantity=2
  set_changer element_type=4,address=500,tid=1,lun=1
  set_changer element_type=4,address=501,tid=1,lun=2
  a=1000
  for bc in TEST01L8 TEST02L8 TEST03L8 TEST04L8 TEST05L8 TEST06L8 TEST07L8 TEST08L8; do
    set_changer element_type=2,address=$a,barcode=$bc,sides=1
    a=$((a + 1))
  done
  set_changer element_type=2,address=1011,barcode=CLN001CU,sides=1
  $ADM --op bind --mode target --tid 1 -I ALL
  trap - EXIT

  cat >"$DIR/vtl.env" <<EOF
TGT_HOST=127.0.0.1
TGT_PORT=$PORT
TGT_IQN=$IQN
TGT_DRIVE_LUNS="1 2"
TGT_CHANGER_LUN=3
TGT_PID=$(cat "$PIDFILE")
EOF
  cat "$DIR/vtl.env"
}

case $CMD in
  up) up ;;
  down) down ;;
  status) alive && cat "$DIR/vtl.env" ;;
  *) usage ;;
esac
