#!/usr/bin/env bash
# qemu-scsi/run.sh — Tapedeck against real Linux SCSI device nodes (/dev/sg*), no hardware needed.
#
#   scripts/qemu-scsi/run.sh            boot the VM, run scripts/qemu-scsi/guest-test.sh, exit 0 on PASS
#
# A tgtd tape library on 127.0.0.1 (scripts/tgt-vtl.sh) is logged in to from a QEMU guest running
# Debian's own kernel (iscsi_tcp + sg/st/ch), so the guest sees the library as ordinary /dev/sg*
# nodes and Tapedeck drives them through SG_IO. The guest gets the host's root file system read-only
# over 9p and chroots into it: node, node_modules and out/ (run `npm run build` first) are just
# there; everything it writes goes to a RAM disk. The guest network is QEMU user mode with restrict=on:
# its only way out is 10.0.2.100:3260, forwarded to the rig's port on the host's loopback.
#
# Needs (Debian): qemu-system-x86 busybox-static cpio kmod tgt; apt lists (apt-get update) for
# `apt-get download` of the kernel and open-iscsi, cached in $QEMU_SCSI_CACHE
# (default ~/.cache/tapedeck/qemu-scsi). Environment:
#   QEMU_SCSI_ACCEL    auto (default: KVM if it boots, else TCG) | kvm | tcg
#   QEMU_SCSI_TIMEOUT  seconds for the whole guest run (default 900)
#   QEMU_SCSI_LOG      also keep the guest's serial console log at this path
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${QEMU_SCSI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapedeck/qemu-scsi}
ACCEL=${QEMU_SCSI_ACCEL:-auto}
TIMEOUT=${QEMU_SCSI_TIMEOUT:-900}
GUEST_IQN=iqn.2024-01.io.tapedeck.test:vm
# Modules the guest loads in this order after their dependencies (found with modinfo).
MODULES="e1000 virtio_pci 9pnet_virtio 9p crc32c_generic libcrc32c scsi_mod sg st ch iscsi_tcp brd ext4"

say() { echo "qemu-scsi: $*" >&2; }
die() {
  say "$*"
  exit 2
}
now() { date +%s; }
START=$(now)

for tool in qemu-system-x86_64 cpio modinfo dpkg-deb apt-get tgtd node; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y --no-install-recommends qemu-system-x86 busybox-static cpio kmod tgt)"
done
BUSYBOX=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
# busybox-static installs a static /bin/busybox; the dynamic one from package busybox cannot run
# in the initramfs, which holds no libc.
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is dynamically linked; install busybox-static"
[ -f "$REPO/out/main/cli.js" ] || die "$REPO/out/main/cli.js is missing: run npm run build first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapedeck-qemu-scsi.XXXXXX")
QEMU_PID=
cleanup() {
  status=$?
  if [ -n "$QEMU_PID" ]; then kill "$QEMU_PID" 2>/dev/null || true; fi
  "$REPO/scripts/tgt-vtl.sh" down "$WORK/vtl" >/dev/null 2>&1 || true
  if [ -n "${QEMU_SCSI_LOG:-}" ] && [ -f "$WORK/serial.log" ]; then cp "$WORK/serial.log" "$QEMU_SCSI_LOG"; fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Debian kernel and open-iscsi (downloaded once, then cached) ---------------------------------
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
KPKG=$(kernel_package)
if [ -z "$KPKG" ]; then
  say "no apt lists for linux-image-amd64; running apt-get update"
  apt-get update -qq || die "apt-get update failed"
  KPKG=$(kernel_package)
  [ -n "$KPKG" ] || die "cannot find the Debian kernel package (apt-cache depends linux-image-amd64)"
fi
KVER=${KPKG#linux-image-}
KDIR=$CACHE/$KVER
ISCSI_DIR=$CACHE/open-iscsi
mkdir -p "$CACHE/debs"
if [ ! -f "$KDIR/.complete" ] || [ ! -f "$ISCSI_DIR/.complete" ]; then
  say "downloading $KPKG open-iscsi libopeniscsiusr into $CACHE"
  # apt-get download writes into the current directory; it warns that _apt cannot write there
  # (grep finds nothing to print when all goes well: only apt-get's status counts)
  (cd "$CACHE/debs" && rm -f ./*.deb && apt-get download -qq "$KPKG" open-iscsi libopeniscsiusr 2>&1 |
    { grep -v '^W: Download is performed unsandboxed' >&2 || true; }) ||
    die "apt-get download failed"
  rm -rf "$KDIR" "$ISCSI_DIR"
  mkdir -p "$KDIR" "$ISCSI_DIR"
  dpkg-deb -x "$CACHE"/debs/"$KPKG"_*.deb "$KDIR"
  for deb in "$CACHE"/debs/open-iscsi_*.deb "$CACHE"/debs/libopeniscsiusr_*.deb; do dpkg-deb -x "$deb" "$ISCSI_DIR"; done
  rm -f "$CACHE"/debs/*.deb
  touch "$KDIR/.complete" "$ISCSI_DIR/.complete"
fi
VMLINUZ=$KDIR/boot/vmlinuz-$KVER
MODDIR=$KDIR/lib/modules/$KVER
[ -f "$VMLINUZ" ] || die "$VMLINUZ missing (remove $KDIR and run again)"

# --- initramfs: static busybox, the modules, /init ------------------------------------------------
ROOT=$WORK/initramfs
mkdir -p "$ROOT/bin" "$ROOT/modules" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/host" "$ROOT/orig"
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp "$HERE/init.sh" "$ROOT/init"
chmod 755 "$ROOT/init"
find "$MODDIR" -name '*.ko' >"$WORK/modules.list"
module_path() { awk -v m="$1" '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n) } n == m { print; exit }' "$WORK/modules.list"; }
: >"$ROOT/modules/order"
add_module() { # $1 = name; dependencies first, each once
  local name=${1//-/_} file dep
  grep -qx "$name" "$ROOT/modules/order" && return 0
  file=$(module_path "$name")
  [ -n "$file" ] || die "kernel module $name not found in $MODDIR"
  for dep in $(modinfo -F depends "$file" | tr ',' ' '); do add_module "$dep"; done
  cp "$file" "$ROOT/modules/$name.ko"
  echo "$name" >>"$ROOT/modules/order"
}
for m in $MODULES; do add_module "$m"; done
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initrd.gz"

# A copy of the built app, so a rebuild of out/ on the host during the run cannot pull files from
# under the guest; node_modules is the checkout's.
mkdir -p "$WORK/app"
cp -r "$REPO/out" "$REPO/package.json" "$WORK/app/"
ln -s "$REPO/node_modules" "$WORK/app/node_modules"
# The datastores are made here, natively, and unpacked in the guest without their empty chunk
# directories (PBS and Tapedeck make those on demand): 2 × 65536 directories take minutes under TCG.
tapedeck() { node "$WORK/app/out/main/cli.js" --home "$WORK/stores-home" "$@" >/dev/null; }
tapedeck datastore demo src --path "$WORK/stores/src" --seed 3 --vms 1 --cts 1 --hosts 1 \
  --snapshots 2 --disk-size 4MiB || die "tapedeck datastore demo failed"
tapedeck datastore create dst --path "$WORK/stores/dst" || die "tapedeck datastore create failed"
find "$WORK/stores" -path '*/.chunks/*' -type d -empty -delete
tar -C "$WORK/stores" -cf "$WORK/app/stores.tar" src dst

# --- the tgt library on a free loopback port ------------------------------------------------------
# retried: the port may be taken, and on a loaded machine tgtd can miss tgt-vtl.sh's 5 s start limit
for attempt in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 20000))
  "$REPO/scripts/tgt-vtl.sh" up "$WORK/vtl" "$PORT" >"$WORK/vtl.out" 2>&1 && break
  [ $attempt -lt 5 ] || {
    cat "$WORK/vtl.out" "$WORK/vtl/tgtd.log" >&2
    die "the tgt library did not start"
  }
  sleep 1
done
. "$WORK/vtl/vtl.env"
say "tgt library on 127.0.0.1:$TGT_PORT ($TGT_IQN); kernel $KVER; ready to boot after $(($(now) - START)) s"

# --- boot ----------------------------------------------------------------------------------------
APPEND="console=ttyS0 panic=-1 quiet loglevel=4 tapedeck.repo=$REPO tapedeck.app=$WORK/app"
APPEND="$APPEND tapedeck.iqn=$TGT_IQN tapedeck.initiator=$GUEST_IQN tapedeck.iscsi=$ISCSI_DIR"
boot() { # $1 = kvm | tcg; runs qemu in the background, serial console to $WORK/serial.log
  local accel=(-accel tcg)
  [ "$1" = kvm ] && accel=(-enable-kvm -cpu host)
  : >"$WORK/serial.log"
  qemu-system-x86_64 "${accel[@]}" -m 3072 -smp 2 -nographic -no-reboot \
    -kernel "$VMLINUZ" -initrd "$WORK/initrd.gz" -append "$APPEND" \
    -nic "user,model=e1000,restrict=on,guestfwd=tcp:10.0.2.100:3260-tcp:127.0.0.1:$TGT_PORT" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    </dev/null >"$WORK/serial.log" 2>&1 &
  QEMU_PID=$!
}
# Waits until the guest prints $1, qemu exits, or $2 seconds pass. 0 = seen.
wait_for() {
  local deadline=$(($(now) + $2))
  while [ "$(now)" -lt $deadline ]; do
    grep -q "$1" "$WORK/serial.log" && return 0
    kill -0 "$QEMU_PID" 2>/dev/null || { grep -q "$1" "$WORK/serial.log"; return; }
    sleep 0.5
  done
  return 1
}
stop_qemu() {
  kill "$QEMU_PID" 2>/dev/null || true
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=
}

BOOT_START=$(now)
USED=tcg
if [ "$ACCEL" != tcg ] && [ -w /dev/kvm ]; then
  boot kvm
  if wait_for 'tapedeck-init: start' 30; then
    USED=kvm
  else
    [ "$ACCEL" = kvm ] && { cat "$WORK/serial.log" >&2; die "the guest did not boot with KVM"; }
    say "KVM did not boot the guest ($(tail -n 1 "$WORK/serial.log")); falling back to TCG"
    stop_qemu
  fi
fi
if [ $USED = tcg ]; then
  BOOT_START=$(now)
  boot tcg
  wait_for 'tapedeck-init: start' 120 || { cat "$WORK/serial.log" >&2; die "the guest did not boot (TCG)"; }
fi
say "kernel up after $(($(now) - BOOT_START)) s ($USED)"
wait_for 'tapedeck-init: devices ready' 180 && say "iSCSI login and SCSI nodes after $(($(now) - BOOT_START)) s"

if ! wait_for 'QEMU-SCSI SUMMARY:' "$TIMEOUT"; then
  cat "$WORK/serial.log" >&2
  die "no result from the guest within $TIMEOUT s"
fi
wait_for 'tapedeck-init: done' 30 || true
stop_qemu

# --- result ---------------------------------------------------------------------------------------
grep -E '^(PASS|FAIL|SKIP|  )' "$WORK/serial.log" | tr -d '\r' >&2 || true
SUMMARY=$(grep -m1 'QEMU-SCSI SUMMARY:' "$WORK/serial.log" | tr -d '\r')
say "${SUMMARY#*QEMU-SCSI } — $USED, $(($(now) - START)) s in all"
# a run where nothing passed failed too
if [[ $SUMMARY != *' 0 failed'* || $SUMMARY == *': 0 passed'* ]]; then
  say "guest console log:"
  tr -d '\r' <"$WORK/serial.log" | tail -n 200 >&2
  exit 1
fi
