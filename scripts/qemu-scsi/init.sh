#!/bin/busybox sh
# /init of the qemu-scsi guest (scripts/qemu-scsi/run.sh builds the initramfs around it): load the
# SCSI, iSCSI and 9p modules, log in to the host's tgt library, chroot into the host's root (shared
# read-only over 9p) and run guest-test.sh there. Its output on the serial console is the result.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "tapedeck-init: start"

finish() {
  echo "tapedeck-init: done"
  sync
  poweroff -f
}
fail() {
  echo "tapedeck-init: $*"
  echo "FAIL guest setup: $*"
  echo "QEMU-SCSI SUMMARY: 0 passed, 1 failed"
  finish
}

for m in $(cat /modules/order); do
  params=
  [ "$m" = brd ] && params="rd_nr=1 rd_size=1048576" # /dev/ram0, 1 GiB
  insmod "/modules/$m.ko" $params || fail "insmod $m failed"
done
arg() { sed -n "s/.* tapedeck\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
REPO=$(arg repo)
APP=$(arg app)
TARGET=$(arg iqn)
INITIATOR=$(arg initiator)
ISCSI=$(arg iscsi)

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0

in_host() { chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp TZ=UTC "$@"; }

# The host's root, read-only; a second view of it (/orig) keeps what the mounts below hide.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
  fail "cannot mount the host's root over 9p"
mount --bind /host /orig
for d in dev proc sys; do mount --bind /$d /host/$d; done
mount -t tmpfs tmpfs /host/run
# /tmp, where the test writes, is ext4 on a RAM disk rather than tmpfs: this kernel's tmpfs has no
# O_DIRECT, and datastores on disks do.
in_host mkfs.ext4 -q -E nodiscard /dev/ram0 || fail "mkfs.ext4 /dev/ram0 failed"
mount -t ext4 /dev/ram0 /host/tmp || fail "cannot mount /dev/ram0"
chmod 1777 /host/tmp
for p in "$REPO" "$APP" "$ISCSI"; do
  case $p in /tmp/* | /run/*)
    mkdir -p "/host$p"
    mount --bind "/orig$p" "/host$p"
    ;;
  esac
done

# iscsistart from the open-iscsi package the host script unpacked (its libraries are the host's).
in_host LD_LIBRARY_PATH="$ISCSI/usr/lib/x86_64-linux-gnu" "$ISCSI/sbin/iscsistart" \
  -i "$INITIATOR" -t "$TARGET" -g 1 -a 10.0.2.100 -p 3260 || fail "iSCSI login to $TARGET failed"
# tgt's library: LUN 0 controller, two tape drives, one changer (sg0-sg3 once the scan is done)
n=0
until [ "$(ls /sys/class/scsi_generic 2>/dev/null | wc -l)" -ge 4 ]; do
  n=$((n + 1))
  [ $n -le 300 ] || fail "the library's SCSI devices did not appear"
  sleep 0.1
done
echo "tapedeck-init: devices ready"

in_host /bin/sh "$REPO/scripts/qemu-scsi/guest-test.sh" "$APP" || echo "tapedeck-init: guest-test.sh exited with $?"
finish
