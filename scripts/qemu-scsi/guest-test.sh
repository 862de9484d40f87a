#!/bin/sh
# Runs inside the qemu-scsi guest (chrooted into the host's root, writable /tmp only): Tapedeck's
# command line against the tgt library seen as real /dev/sg* nodes through SG_IO. Prints one
# PASS/FAIL/SKIP line per step and `QEMU-SCSI SUMMARY: N passed, M failed` at the end.
# $1: the Tapedeck checkout (out/ built, node_modules installed)
APP=$1
W=/tmp/qemu-scsi
mkdir -p "$W"
PASSED=0
FAILED=0

td() { node "$APP/out/main/cli.js" --home "$W/home" "$@"; }
tdj() { td --output-format json "$@"; }

# step NAME FUNCTION: runs FUNCTION, its output kept for a FAIL report
step() {
  started=$(date +%s)
  if "$2" >"$W/step.log" 2>&1; then
    PASSED=$((PASSED + 1))
    echo "PASS $1 ($(($(date +%s) - started)) s)"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    tail -n 25 "$W/step.log" | sed 's/^/  | /'
  fi
}
# expect TEXT-PATTERN OUTPUT-FILE [COUNT]: grep -E, optionally exactly COUNT matching lines
expect() {
  n=$(grep -cE "$1" "$2")
  if [ -n "${3:-}" ]; then [ "$n" -eq "$3" ]; else [ "$n" -gt 0 ]; fi || {
    echo "expected ${3:-some} line(s) matching /$1/ in $2, found $n:"
    cat "$2"
    return 1
  }
}

# --- the library's nodes from sysfs: tapes (type 1) by LUN, the changer (type 8) ---
for d in /sys/class/scsi_generic/sg*; do
  type=$(cat "$d/device/type")
  hctl=$(basename "$(readlink -f "$d/device")")
  echo "  ${d##*/}: type $type $(cat "$d/device/vendor") $(cat "$d/device/model") [$hctl]"
  case $type in
    1) eval "TAPE_LUN_${hctl##*:}=/dev/${d##*/}" ;;
    8) CHANGER=/dev/${d##*/} ;;
  esac
done
DRIVE0=${TAPE_LUN_1:-}
DRIVE1=${TAPE_LUN_2:-}
NST0=$(ls "/sys/class/scsi_generic/${DRIVE0#/dev/}/device/scsi_tape" 2>/dev/null | grep -m1 '^nst[0-9]*$')

nodes_found() {
  echo "changer $CHANGER, drives $DRIVE0 $DRIVE1, st node of drive 0: /dev/$NST0"
  [ -c "$CHANGER" ] && [ -c "$DRIVE0" ] && [ -c "$DRIVE1" ] && [ -c "/dev/$NST0" ]
}

# tape.cfg and media-pool.cfg in PBS's section-config format, as an admin may copy them in:
# node starts slowly under TCG, so the run spends its CLI calls on device and data commands.
configure() {
  mkdir -p "$W/home" &&
    printf 'changer: vtl\n\tpath %s\n\n' "$CHANGER" >"$W/home/tape.cfg" &&
    printf 'lto: lto%s\n\tchanger vtl\n\tchanger-drivenum %s\n\tpath %s\n\n' \
      0 0 "$DRIVE0" 1 1 "$DRIVE1" >>"$W/home/tape.cfg" &&
    printf 'lto: nst\n\tpath /dev/%s\n' "$NST0" >>"$W/home/tape.cfg" &&
    printf 'pool: daily\n' >"$W/home/media-pool.cfg"
}

changer_status() {
  tdj changer status vtl | tr '{' '\n' >"$W/status" &&
    expect '"label-text":"TEST0[1-8]L8"' "$W/status" 8 &&
    expect '"label-text":"CLN001CU"' "$W/status" 1 &&
    expect '"entry-kind":"drive"' "$W/status" 2 &&
    expect '"entry-kind":"import-export"' "$W/status" 2
}

drive_status_empty() {
  tdj status --drive lto1 >"$W/out" && cat "$W/out" && expect '"loaded":false' "$W/out"
}

barcode_label() {
  td barcode-label --drive lto0 --pool daily >"$W/out" && cat "$W/out" &&
    expect '^label verified$' "$W/out" 8 &&
    tdj read-label --drive lto0 >"$W/out" && cat "$W/out" &&
    expect '"label-text":"TEST08L8"' "$W/out" && expect '"pool":"daily"' "$W/out"
}

# a demo datastore (src) and an empty one (dst), made by run.sh on the host
datastores() {
  tar -xf "$APP/stores.tar" -C "$W" &&
    printf 'datastore: src\n\tpath %s/src\n\ndatastore: dst\n\tpath %s/dst\n' "$W" "$W" \
      >"$W/home/datastore.cfg"
}

backup() {
  td backup src daily --drive lto0 >"$W/backup" && cat "$W/backup" &&
    expect '^media set uuid: ' "$W/backup"
}

# [path sha256] of every file a tape carries (owner, notes, .protected, .lock are not on tape)
tree() { (cd "$1" && find . -type f ! -name .lock ! -name owner ! -name notes ! -name .protected -exec sha256sum {} + | sort -k 2); }

restore() {
  set_uuid=$(sed -n 's/^media set uuid: //p' "$W/backup")
  td restore "$set_uuid" dst --drive lto0 &&
    tree "$W/src" >"$W/src.sums" && tree "$W/dst" >"$W/dst.sums" &&
    echo "$(wc -l <"$W/src.sums") files" && [ -s "$W/src.sums" ] &&
    diff "$W/src.sums" "$W/dst.sums"
}

st_refused() {
  ! td status --drive nst >"$W/out" 2>&1 && cat "$W/out" &&
    expect "is an st tape node.*use $DRIVE0 for this drive" "$W/out"
}

scan() { # the output of `drive scan` is in $W/scan already
  cat "$W/scan" &&
    expect "$DRIVE0 .*DRV0001|DRV0001.*$DRIVE0" "$W/scan" &&
    expect "$DRIVE1 .*DRV0002|DRV0002.*$DRIVE1" "$W/scan" &&
    td changer scan >"$W/out" 2>&1 && cat "$W/out" &&
    expect "$CHANGER .*LIB0001|LIB0001.*$CHANGER" "$W/out"
}

started=$(date +%s)
node -e 0
echo "  node starts in $(($(date +%s) - started)) s"
step "sysfs shows the changer and both drives as sg nodes" nodes_found
step "tape.cfg with the sg nodes" configure
step "changer status over SG_IO (8 tapes, cleaning tape, 2 drives, 2 mail slots)" changer_status
step "status of the empty drive 1" drive_status_empty
step "barcode-label all 8 tapes with drive 0, read a label back" barcode_label
step "unpack the datastores" datastores
step "back up a demo datastore" backup
step "restore the media set, byte for byte" restore
step "an st node is refused with the sg node to use" st_refused
if td drive scan >"$W/scan" 2>&1 || ! grep -q "unknown command" "$W/scan"; then
  step "drive scan and changer scan find the sg nodes in sysfs" scan
else
  echo "SKIP drive/changer scan (not in this build)"
fi
echo "QEMU-SCSI SUMMARY: $PASSED passed, $FAILED failed"
