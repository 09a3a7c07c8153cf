# Lab only: what lab.sh, demo.sh and bench.sh share: fetch and cache the
# kernel, the initramfs and the guest root, make the per-run image, boot a
# scenario, read its verdict. Sourced (POSIX sh) after LAB_DIR is set.
#
# Cache (git-ignored): test/lab/cache/ or $LAB_CACHE
#   kernel/NAME_VERSION/   the Debian kernel package, unpacked (dpkg -x), depmod'ed
#   initrd-HASH.cpio.gz    busybox + the modules that mount the root disk
#   root-HASH/             the Debian 12 root (build-root.sh), keyed by a hash of
#                          guest-packages and build-root.sh
#   build/                 the project built for the image (make B=...)
#   run/                   this run's images (root.img, data.img)
#   logs/                  console and result logs of each boot
PATH=$PATH:/usr/sbin:/sbin
SRC_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${LAB_CACHE:-$LAB_DIR/cache}
LOGS=$CACHE/logs
RUN=$CACHE/run
LAB_TIMEOUT=${LAB_TIMEOUT:-300} # seconds per boot, then qemu is killed (the scenario gets 60 s less)
LAB_SMP=${LAB_SMP:-2}
LAB_MEM=${LAB_MEM:-1024}

say() { printf 'lab: %s\n' "$*" >&2; }
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}
secs_since() { echo $(($(date +%s) - $1)); }

lab_preflight() {
	missing=
	[ "$(id -u)" = 0 ] || die "the lab needs root: mmdebstrap builds the guest root and the image must keep its files owned by root. Run it with sudo (e.g. sudo make lab)."
	for tool in qemu-system-x86_64 mmdebstrap cpio gzip mke2fs depmod modprobe cc make apt-get apt-cache dpkg sha256sum timeout flock; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	[ -z "$missing" ] || die "missing tools:$missing. On Debian 12: apt-get install --no-install-recommends qemu-system-x86 mmdebstrap busybox-static cpio e2fsprogs kmod build-essential"
	{ [ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; } ||
		die "/bin/busybox must be the static one: apt-get install busybox-static"
	mkdir -p "$CACHE" "$LOGS"
	exec 9>"$CACHE/.lock"
	flock -n 9 || die "another lab run is using $CACHE (lock $CACHE/.lock)"
}

# The Debian kernel of kernel.pin (or $LAB_KERNEL=NAME=VERSION): sets KPKG,
# KPKGVER, KDIR, KVER, VMLINUZ.
lab_kernel() {
	pin=${LAB_KERNEL:-$(sed -e 's/#.*//' "$LAB_DIR/kernel.pin" | tr -d ' \t' | sed '/^$/d' | head -n 1)}
	KPKG=${pin%%=*}
	KPKGVER=${pin#*=}
	KDIR=$CACHE/kernel/${KPKG}_$KPKGVER
	if [ ! -e "$KDIR.done" ]; then
		dl=$CACHE/kernel/download
		rm -rf "$dl" && mkdir -p "$dl"
		say "fetching the kernel $KPKG=$KPKGVER (apt-get download) ..."
		if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$KPKG=$KPKGVER") >"$LOGS/kernel-download.log" 2>&1; then
			sed 's/^/  /' "$LOGS/kernel-download.log" >&2
			dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
			[ -n "$dep" ] || die "cannot download $pin, and apt knows no linux-image-amd64 (run apt-get update?)"
			KPKG=$dep
			KPKGVER=$(apt-cache policy "$dep" | sed -n 's/^ *Candidate: //p')
			KDIR=$CACHE/kernel/${KPKG}_$KPKGVER
			say "NOTE: the pinned kernel $pin cannot be downloaded any more; using $KPKG=$KPKGVER instead. Update test/lab/kernel.pin."
			if [ ! -e "$KDIR.done" ]; then
				(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$KPKG=$KPKGVER") >"$LOGS/kernel-download.log" 2>&1 ||
					{ cat "$LOGS/kernel-download.log" >&2; die "cannot download $KPKG=$KPKGVER"; }
			fi
		fi
		if [ ! -e "$KDIR.done" ]; then
			rm -rf "$KDIR"
			dpkg -x "$dl"/*.deb "$KDIR"
			kv=$(ls "$KDIR/lib/modules")
			depmod -b "$KDIR" "$kv"
			echo "$KPKG=$KPKGVER" >"$KDIR.done"
		fi
		rm -rf "$dl"
	fi
	KVER=$(ls "$KDIR/lib/modules" | head -n 1)
	VMLINUZ=$KDIR/boot/vmlinuz-$KVER
	[ -r "$VMLINUZ" ] || die "no $VMLINUZ"
	say "kernel: $KPKG=$KPKGVER (uname -r $KVER)"
}

# lab_modules DEST MODULE...: the modules and all they depend on, into
# DEST/lib/modules/$KVER, with their modules.dep.
lab_modules() {
	dest=$1
	shift
	modprobe -d "$KDIR" -S "$KVER" --show-depends -a "$@" >"$LOGS/modules.list" ||
		die "modprobe --show-depends failed for: $*"
	awk '$1 == "insmod" { print $2 }' "$LOGS/modules.list" | sort -u | while read -r ko; do
		rel=${ko#"$KDIR"/}
		mkdir -p "$dest/${rel%/*}"
		cp "$ko" "$dest/$rel"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$KDIR/lib/modules/$KVER/$f" "$dest/lib/modules/$KVER/$f"
	done
	depmod -b "$dest" "$KVER"
}

# The initramfs: busybox and what mounts /dev/vda. Sets INITRD.
lab_initrd() {
	key=$({ cat "$LAB_DIR/initramfs-init"; echo "$KPKG=$KPKGVER"; sha256sum </bin/busybox; } | sha256sum | cut -c1-12)
	INITRD=$CACHE/initrd-$key.cpio.gz
	[ -s "$INITRD" ] && return 0
	st=$CACHE/initrd.stage
	rm -rf "$st" && mkdir -p "$st/bin"
	cp /bin/busybox "$st/bin/busybox"
	install -m 0755 "$LAB_DIR/initramfs-init" "$st/init"
	lab_modules "$st" crc32c_generic virtio_pci virtio_blk ext4
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$st"
	for f in "$CACHE"/initrd-*.cpio.gz; do [ "$f" = "$INITRD" ] || rm -f "$f"; done
}

# The Debian 12 root, built once per guest-packages + build-root.sh. Sets ROOT.
lab_root() {
	key=$(cat "$LAB_DIR/guest-packages" "$LAB_DIR/build-root.sh" | sha256sum | cut -c1-12)
	ROOT=$CACHE/root-$key
	[ -d "$ROOT" ] && return 0
	for old in "$CACHE"/root-*; do [ ! -e "$old" ] || rm -rf "$old"; done
	say "building the guest root (mmdebstrap bookworm, about a minute; log: $LOGS/build-root.log) ..."
	t=$(date +%s)
	sh "$LAB_DIR/build-root.sh" "$ROOT" >"$LOGS/build-root.log" 2>&1 ||
		{ tail -n 30 "$LOGS/build-root.log" >&2; die "building the guest root failed (log: $LOGS/build-root.log)"; }
	say "guest root built in $(secs_since "$t") s"
}

# enable_unit STAGE TARGET PATH: what `systemctl enable` does, by hand
enable_unit() { mkdir -p "$1/etc/systemd/system/$2.wants" && ln -sf "$3" "$1/etc/systemd/system/$2.wants/${3##*/}"; }
mask_unit() { ln -sf /dev/null "$1/etc/systemd/system/$2"; }

# The project, as a package would put it into the root.
install_project() {
	stage=$1
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS -u CPPFLAGS \
		make -C "$SRC_DIR" B="$CACHE/build" install DESTDIR="$stage" PREFIX=/usr >"$LOGS/make-install.log" 2>&1 ||
		{ tail -n 30 "$LOGS/make-install.log" >&2; die "make install failed (log: $LOGS/make-install.log)"; }
	# Until `make install` installs the unit, install it the same way.
	if [ ! -e "$stage/usr/lib/systemd/system/igd-regroup.service" ]; then
		sed 's|@SBINDIR@|/usr/sbin|g' "$SRC_DIR/units/igd-regroup.service.in" \
			>"$stage/usr/lib/systemd/system/igd-regroup.service"
	fi
	enable_unit "$stage" multi-user.target /usr/lib/systemd/system/igd-regroup.service
	# The seed's HP EliteDesk 800 G4 config, as an admin would have it.
	install -m 0644 "$SRC_DIR/test/fixtures/hp-elitedesk-800-g4.conf" "$stage/etc/igd-regroup.conf"
}

# This run's image: the cached root + modules + the project + the lab's files.
lab_image() {
	stage=$RUN/stage
	rm -rf "$RUN" && mkdir -p "$stage"
	cp -a "$ROOT/." "$stage/"
	# shellcheck disable=SC2046
	lab_modules "$stage" $(sed 's/#.*//' "$LAB_DIR/guest-modules")
	install_project "$stage"
	# The lab's own files (kept flat in guest/etc/: no directory named *.d in the tree)
	e=$LAB_DIR/guest/etc
	install -D -m 0644 "$e/interfaces" "$stage/etc/network/interfaces"
	install -D -m 0644 "$e/fstab" "$stage/etc/fstab"
	install -D -m 0644 "$e/modules-load-vfio.conf" "$stage/etc/modules-load.d/vfio.conf"
	install -D -m 0644 "$e/late-drm.rules" "$stage/etc/udev/rules.d/70-igd-lab-late-drm.rules"
	install -D -m 0644 "$e/igd-regroup-lab.conf" "$stage/etc/systemd/system/igd-regroup.service.d/lab.conf"
	install -m 0644 "$e/igd-lab.service" "$e/igd-lab-tap.service" "$e/netbird.service" "$stage/etc/systemd/system/"
	g=$stage/usr/lib/igd-lab
	install -d "$g/scenarios" "$stage/mnt/data"
	install -m 0755 "$LAB_DIR/guest/run" "$LAB_DIR/guest/passthrough-tweak.sh" "$g/"
	install -m 0644 "$LAB_DIR/guest/lib.sh" "$g/"
	install -m 0644 "$LAB_DIR"/scenarios/*.sh "$g/scenarios/"
	cc -static -O2 -Wall -o "$g/labtool" "$LAB_DIR/guest/labtool.c" || die "cannot build labtool (static: needs libc6-dev)"
	for u in igd-lab.service igd-lab-tap.service netbird.service; do
		enable_unit "$stage" multi-user.target "/etc/systemd/system/$u"
	done
	# quiet and quick: no logins on the consoles, no periodic jobs
	for u in serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
		apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
		fstrim.timer e2scrub_reap.service; do
		mask_unit "$stage" "$u"
	done
	truncate -s 1G "$RUN/root.img"
	truncate -s 16M "$RUN/data.img"
	mke2fs -q -F -t ext4 -L igdlab -d "$stage" "$RUN/root.img"
	mke2fs -q -F -t ext4 -L igddata "$RUN/data.img"
	rm -rf "$stage"
}

# Everything a boot needs, cached where it can be.
lab_prepare() {
	t=$(date +%s)
	lab_preflight
	lab_kernel
	lab_initrd
	lab_root
	t2=$(date +%s)
	lab_image
	say "image ready ($(secs_since "$t2") s for this run's image; $(secs_since "$t") s in all)"
}

# lab_boot ID SCENARIO LAYOUT [KERNEL ARGS...]: one fresh boot (the images
# are opened snapshot=on: nothing a scenario writes survives it). Logs:
# $LOGS/ID.console.log (ttyS0), $LOGS/ID.result.log (ttyS1). Returns qemu's status.
lab_boot() {
	id=$1 scenario=$2 layout=$3
	shift 3
	# The HP EliteDesk 800 G4's visible PCH functions: LPC 1f.0 (q35's own),
	# audio 1f.3, SMBus 1f.4 and SPI 1f.5 (pci-testdev stand-ins), NIC 1f.6.
	nic=e1000 mf='' pmc=''
	case $layout in
	hp) ;;                         # e1000 (conventional PCI) at 1f.6 shares the PCH group, like the I219-LM
	hp-mf) mf=,multifunction=on ;; # ... the audio function with its multi-function bit set
	hp-pmc) pmc="-device pci-testdev,addr=1f.2" ;; # ... and a PMC at 1f.2, as on the Esprimo
	e1000e) nic=e1000e ;;          # e1000e at 1f.6: an ACS quirk gives it a group of its own
	*) die "unknown layout $layout" ;;
	esac
	BOOT_CONSOLE=$LOGS/$id.console.log
	BOOT_RESULT=$LOGS/$id.result.log
	: >"$BOOT_CONSOLE"
	: >"$BOOT_RESULT"
	timeout -k 10 "$LAB_TIMEOUT" qemu-system-x86_64 \
		-nodefaults -display none -no-reboot \
		-machine q35,accel=tcg,kernel-irqchip=split,sata=off,smbus=off \
		-cpu max -smp "$LAB_SMP" -m "$LAB_MEM" \
		-device intel-iommu,intremap=on,caching-mode=on \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 intel_iommu=on iommu=pt panic=-1 loglevel=4 igd.scenario=$scenario igd.layout=$layout igd.timeout=$((LAB_TIMEOUT - 60)) $*" \
		-drive if=none,id=root,file="$RUN/root.img",format=raw,snapshot=on \
		-device virtio-blk-pci,drive=root,addr=03.0 \
		-drive if=none,id=data,file="$RUN/data.img",format=raw,snapshot=on \
		-device virtio-blk-pci,drive=data,addr=04.0 \
		-device bochs-display,addr=02.0 \
		$pmc \
		-audiodev none,id=snd0 \
		-device ich9-intel-hda,id=hda,addr=1f.3$mf \
		-device hda-duplex,bus=hda.0,audiodev=snd0 \
		-device pci-testdev,addr=1f.4 \
		-device pci-testdev,addr=1f.5 \
		-netdev user,id=net0 -device "$nic,netdev=net0,addr=1f.6" \
		-serial "file:$BOOT_CONSOLE" -serial "file:$BOOT_RESULT" \
		</dev/null
}

# lab_verdict ID: 0 when the guest reported "N passed, 0 failed" with N > 0;
# prints the failing lines (and their diagnostics) otherwise.
lab_verdict() {
	r=$LOGS/$1.result.log
	VERDICT=$(tr -d '\r' <"$r" | grep -aE '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$VERDICT" ]; then
		VERDICT="no summary line"
		return 1
	fi
	tr -d '\r' <"$r" | awk '/^not ok/ { p = 1; print "    " $0; next } /^#/ { if (p) print "    " $0; next } { p = 0 }' >&2
	case $VERDICT in
	"0 passed"*) return 1 ;;
	*" 0 failed") return 0 ;;
	*) return 1 ;;
	esac
}
