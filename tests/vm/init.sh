#!/bin/busybox sh
# Stage 1 inside the guest: load the modules (in the order prepare.sh derived), build a root from
# tmpfs plus the host's /usr and /etc over 9p (writable through overlayfs), share in the run folder,
# the build tree and the scenarios, then hand over to systemd as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do
        insmod /modules/$m.ko || echo "stage1: insmod $m failed" >/dev/ttyS0
done
KVER=$(cat /kver)

R=/newroot
mount -t tmpfs -o mode=0755 root $R
mkdir -p $R/usr $R/etc $R/.lower/usr $R/.lower/etc $R/.up $R/proc $R/sys $R/dev $R/run $R/tmp $R/var $R/root \
         $R/vmlab $R/vmlab-build $R/vmlab-src
chmod 1777 $R/tmp
for d in bin sbin lib lib64 lib32; do ln -s usr/$d $R/$d; done

P9="trans=virtio,version=9p2000.L"
mount -t 9p -o $P9,ro,cache=loose,msize=262144 hostusr $R/.lower/usr || echo "stage1: no host /usr" >/dev/ttyS0
mount -t 9p -o $P9,ro,cache=loose,msize=262144 hostetc $R/.lower/etc || echo "stage1: no host /etc" >/dev/ttyS0
mount -t tmpfs up $R/.up
mkdir -p $R/.up/usr/u $R/.up/usr/w $R/.up/etc/u $R/.up/etc/w
mount -t overlay overlay -o lowerdir=$R/.lower/usr,upperdir=$R/.up/usr/u,workdir=$R/.up/usr/w $R/usr
mount -t overlay overlay -o lowerdir=$R/.lower/etc,upperdir=$R/.up/etc/u,workdir=$R/.up/etc/w $R/etc
mkdir -p $R/usr/lib/modules/$KVER
mount -t 9p -o $P9,ro,cache=loose,msize=262144 kmods $R/usr/lib/modules/$KVER
mount -t 9p -o $P9,cache=none,msize=262144 run $R/vmlab
mount -t 9p -o $P9,ro,cache=loose,msize=262144 build $R/vmlab-build
mount -t 9p -o $P9,ro,cache=loose,msize=262144 src $R/vmlab-src

# The guest's own /etc: the test target and unit, and what must not start.
mkdir -p $R/etc/systemd/system-generators
cp -a /guest/etc/. $R/etc/
cat /proc/sys/kernel/random/uuid | tr -d '-' > $R/etc/machine-id
echo pressured-vm > $R/etc/hostname
for g in $R/usr/lib/systemd/system-generators/*; do
        case ${g##*/} in
                systemd-debug-generator|systemd-run-generator) ;;
                *) ln -sf /dev/null $R/etc/systemd/system-generators/${g##*/} ;;
        esac
done

mount --move /dev $R/dev
umount /proc /sys
exec switch_root $R /lib/systemd/systemd
