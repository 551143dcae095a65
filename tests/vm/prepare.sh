#!/usr/bin/env bash
# Prepares what the VM suite boots, into CACHE_DIR (the build dir's vm-cache/):
#   - installs qemu and friends with apt (when root and not yet done this run),
#   - resolves the kernel package linux-image-amd64 depends on today, downloads and unpacks it,
#   - extracts the uncompressed vmlinux (boots through PVH: no in-guest XZ decompression under TCG),
#   - builds the initramfs: busybox, the stage-1 init, and the modules it needs in an order derived
#     from each module's own .modinfo "depends=" (never hard-coded: the kernel version moves),
#     plus the guest's /etc overrides: guest/etc and the project's bus policy (dbus/*.conf goes to
#     /etc/dbus-1/system.d, in place before dbus.service starts; the host's /etc is never touched).
# Idempotent: a second run with the same kernel and the same harness files does nothing.
# Usage: prepare.sh CACHE_DIR      Prints the kernel version on its last line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:?usage: prepare.sh CACHE_DIR}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

# The guest runs on the host's /usr: what the scenarios use in the guest must be installed here
# (python3-gi and gir1.2-glib-2.0: a GMemoryMonitor client; dbus-bin: dbus-send; util-linux: setpriv).
PACKAGES=(qemu-system-x86 busybox-static cpio xz-utils binutils systemd dbus python3
          python3-gi gir1.2-glib-2.0 dbus-bin util-linux)
# Modules stage 1 loads: PCI virtio transport, 9p over virtio (host /usr, /etc, the run folder),
# overlayfs (writable /usr and /etc), virtio-blk (swap disk), autofs4 (systemd asks for it).
WANT_MODULES=(virtio_pci 9pnet_virtio 9p overlay virtio_blk autofs4)

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || { echo "prepare: need root to install ${missing[*]}" >&2; exit 1; }
        echo "prepare: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel package of the day: linux-image-amd64 is a metapackage depending on it.
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$KPKG" ]; then
        apt-get update -qq >/dev/null
        KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$KPKG" ] || { echo "prepare: cannot resolve the kernel package behind linux-image-amd64" >&2; exit 1; }
KVER=${KPKG#linux-image-}
KROOT=$CACHE/kernel-$KVER

if [ ! -f "$KROOT/.unpacked" ]; then
        rm -rf "$KROOT" "$CACHE"/dl
        mkdir -p "$CACHE/dl" "$KROOT"
        echo "prepare: downloading $KPKG" >&2
        # apt drops privileges to _apt for downloads; a folder it can write avoids the warning.
        chown _apt "$CACHE/dl" 2>/dev/null || true
        (cd "$CACHE/dl" && apt-get download -qq "$KPKG")
        dpkg-deb -x "$CACHE"/dl/"$KPKG"_*.deb "$KROOT"
        rm -rf "$CACHE/dl"
        touch "$KROOT/.unpacked"
fi
BZ=$KROOT/boot/vmlinuz-$KVER
MODDIR=$KROOT/lib/modules/$KVER
[ -f "$BZ" ] && [ -d "$MODDIR/kernel" ] || { echo "prepare: $KPKG unpacked without a kernel or modules" >&2; exit 1; }

# vmlinux: the bzImage payload is one XZ stream; xz complains about the bytes after it.
VMLINUX=$CACHE/vmlinux-$KVER
if [ ! -s "$VMLINUX" ]; then
        off=$(grep -abo $'\xfd7zXZ\x00' "$BZ" | head -1 | cut -d: -f1 || true)
        if [ -n "$off" ]; then
                tail -c +$((off + 1)) "$BZ" | xz -dc > "$VMLINUX.tmp" 2>/dev/null || true
        fi
        if [ -s "$VMLINUX.tmp" ] && head -c 4 "$VMLINUX.tmp" | grep -q $'\x7fELF'; then
                mv "$VMLINUX.tmp" "$VMLINUX"
        else
                rm -f "$VMLINUX.tmp"
                cp "$BZ" "$VMLINUX" # QEMU boots a bzImage too, only slower
        fi
fi

# Module files by name ('-' and '_' are the same in module names).
module_file() {
        local n=${1//-/_}
        find "$MODDIR/kernel" -type f \( -name "$n.ko*" -o -name "${n//_/-}.ko*" \) | head -1
}
module_depends() {
        local f
        f=$(module_file "$1")
        [ -n "$f" ] || return 0
        case $f in
                *.xz) xz -dc "$f" > "$CACHE/.mod.tmp" ; f=$CACHE/.mod.tmp ;;
        esac
        objcopy -O binary --only-section=.modinfo "$f" /dev/stdout 2>/dev/null | tr '\0' '\n' \
                | sed -n 's/^depends=//p' | tr ',' ' '
}
# Depth-first: every module after its dependencies.
ORDER=()
declare -A SEEN=()
visit() {
        local m=${1//-/_} d
        [ -n "${SEEN[$m]:-}" ] && return 0
        SEEN[$m]=1
        for d in $(module_depends "$m"); do visit "$d"; done
        if [ -n "$(module_file "$m")" ]; then
                ORDER+=("$m")
        elif ! grep -q "/${m}.ko$" "$MODDIR/modules.builtin" 2>/dev/null; then
                echo "prepare: module $m is neither a file nor built in to $KVER" >&2
                exit 1
        fi
}
for m in "${WANT_MODULES[@]}"; do visit "$m"; done

# The project's bus policy files (dbus/*.conf), which the daemon needs to own its names.
BUS_POLICIES=()
for f in "$HERE"/../../dbus/*.conf; do
        [ -f "$f" ] && BUS_POLICIES+=("$f")
done

# The initramfs is rebuilt when the kernel, any harness file or a bus policy changes.
STAMP=$( (echo "$KVER"; cd "$HERE" && cat prepare.sh init.sh && find guest -type f -exec cat {} + &&
          find guest -type l -printf '%p -> %l\n' | sort;
          for f in "${BUS_POLICIES[@]}"; do basename "$f"; cat "$f"; done) | sha256sum | cut -c1-16)
INITRD=$CACHE/initramfs-$KVER-$STAMP.cpio.gz
if [ ! -s "$INITRD" ]; then
        rm -f "$CACHE"/initramfs-*.cpio.gz
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        mkdir -p "$work"/{bin,dev,proc,sys,newroot,modules,guest}
        cp /bin/busybox "$work/bin/busybox"
        for m in "${ORDER[@]}"; do
                f=$(module_file "$m")
                case $f in
                        *.xz) xz -dc "$f" > "$work/modules/$m.ko" ;;
                        *.zst) zstd -qdc "$f" > "$work/modules/$m.ko" ;;
                        *) cp "$f" "$work/modules/$m.ko" ;;
                esac
        done
        printf '%s\n' "${ORDER[@]}" > "$work/modules/order"
        echo "$KVER" > "$work/kver"
        cp "$HERE/init.sh" "$work/init"
        chmod 755 "$work/init"
        cp -a "$HERE"/guest/. "$work/guest/"
        if [ ${#BUS_POLICIES[@]} -gt 0 ]; then
                mkdir -p "$work/guest/etc/dbus-1/system.d"
                cp "${BUS_POLICIES[@]}" "$work/guest/etc/dbus-1/system.d/"
        fi
        (cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.tmp"
        mv "$INITRD.tmp" "$INITRD"
        rm -rf "$work"
        trap - EXIT
        echo "prepare: initramfs with modules ${ORDER[*]}" >&2
fi
ln -sfn "$(basename "$VMLINUX")" "$CACHE/vmlinux"
ln -sfn "$(basename "$INITRD")" "$CACHE/initramfs.cpio.gz"
ln -sfn "kernel-$KVER/lib/modules/$KVER" "$CACHE/modules"
echo "$KVER"
