# Lab only: what lab.sh, demo.sh and bench.sh share: fetch and cache the
# kernels, the initramfs and the guest roots of each generation (the file
# generations), build the project's .deb, make the per-run image, boot a
# scenario, read its verdict. Sourced (POSIX sh) after LAB_DIR is set.
#
# Cache (git-ignored): test/lab/cache/ or $LAB_CACHE
#   apt/GEN/               a private apt configuration (sources, lists, archives)
#                          that fetches GEN's kernel; the host's apt is not touched
#   kernel/NAME_VERSION/   a Debian kernel package, unpacked (dpkg -x), depmod'ed
#   initrd-GEN-HASH.cpio.gz busybox + the modules that mount the root disk
#   root-GEN-HASH/         GEN's Debian root (build-root.sh), keyed by a hash of
#                          its suite, guest-packages and build-root.sh
#   deb/HASH/              the project's .deb (make deb, tests skipped), keyed
#                          by a hash of the exported source tree
#   run/GEN/               this run's images of GEN (root.img, data.img)
#   logs/                  console and result logs of each boot (GEN-ID.*.log)
PATH=$PATH:/usr/sbin:/sbin
SRC_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${LAB_CACHE:-$LAB_DIR/cache}
LOGS=$CACHE/logs
LAB_TIMEOUT=${LAB_TIMEOUT:-300} # seconds per boot, then qemu is killed (the scenario gets 60 s less)
LAB_SMP=${LAB_SMP:-2}
LAB_MEM=${LAB_MEM:-1024}
# The modules the initramfs loads to mount the root disk (ext4 on virtio-blk);
# crc32c_generic first: ext4's checksums ask for a crc32c driver by name.
INITRD_MODULES="crc32c_generic virtio_pci virtio_blk ext4"

say() { printf 'lab: %s\n' "$*" >&2; }
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}
secs_since() { echo $(($(date +%s) - $1)); }

lab_preflight() {
	missing=
	[ "$(id -u)" = 0 ] || die "the lab needs root: mmdebstrap builds the guest root, apt installs the .deb into it (chroot) and the image must keep its files owned by root. Run it as root (a root shell: make lab)."
	for tool in qemu-system-x86_64 mmdebstrap cpio gzip mke2fs depmod modprobe xz cc make apt-get apt-cache dpkg dpkg-buildpackage dh chroot sha256sum timeout flock; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	[ -z "$missing" ] || die "missing tools:$missing. On Debian 12: apt-get install --no-install-recommends \$(cat test/lab/packages .ci/packages)"
	{ [ -x /bin/busybox ] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; } ||
		die "/bin/busybox must be the static one: apt-get install busybox-static"
	mkdir -p "$CACHE" "$LOGS"
	exec 9>"$CACHE/.lock"
	flock -n 9 || die "another lab run is using $CACHE (lock $CACHE/.lock)"
}

# ---- generations ----
# lab_generations: the IDs of the file generations, oldest first
lab_generations() { sed -e 's/#.*//' "$LAB_DIR/generations" | awk 'NF { print $1 }'; }
# lab_newest: the newest generation (the last line)
lab_newest() { lab_generations | tail -n 1; }
# lab_generation ID: sets GEN, SUITE, KPIN (NAME=VERSION), KSUITES
lab_generation() {
	line=$(sed -e 's/#.*//' "$LAB_DIR/generations" | awk -v id="$1" '$1 == id')
	[ -n "$line" ] || die "no generation '$1' in $LAB_DIR/generations (there are: $(lab_generations | tr '\n' ' '))"
	# shellcheck disable=SC2086 # the fields of the line
	set -- $line
	[ $# = 4 ] || die "generations: '$line': want ID SUITE KERNEL=VERSION KERNEL-SUITES"
	GEN=$1 SUITE=$2 KPIN=$3 KSUITES=$(echo "$4" | tr ',' ' ')
	RUN=$CACHE/run/$GEN
}

# The Debian archive and security URIs: from LAB_MIRROR (the archive's URI;
# security is guessed next to it), else those this host's apt uses (a CI
# mirror, a proxy), else deb.debian.org. Sets ARCHIVE_URI, SECURITY_URI.
lab_archive() {
	if [ -n "${LAB_MIRROR:-}" ]; then
		ARCHIVE_URI=${LAB_MIRROR%/}
		SECURITY_URI=${LAB_SECURITY_MIRROR:-${ARCHIVE_URI%/debian}/debian-security}
		return 0
	fi
	# shellcheck disable=SC2016 # apt's own $(...) fields
	targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null || true)
	ARCHIVE_URI=$(printf '%s\n' "$targets" | awk '$2 ~ /^(bookworm|trixie)(-updates)?$/ && $3 == "main" { print $1; exit }')
	SECURITY_URI=$(printf '%s\n' "$targets" | awk '$2 ~ /^(bookworm|trixie)-security$/ && $3 == "main" { print $1; exit }')
	ARCHIVE_URI=${ARCHIVE_URI:-http://deb.debian.org/debian/}
	ARCHIVE_URI=${ARCHIVE_URI%/}
	SECURITY_URI=${SECURITY_URI:-${ARCHIVE_URI%/debian}/debian-security}
	SECURITY_URI=${SECURITY_URI%/}
}

# lab_apt_setup: a private apt configuration for GEN's KSUITES (its own
# sources, lists, archives and an empty dpkg status; the host's apt.conf.d
# still applies: a proxy keeps working). Sets APT_CONF; use as
# APT_CONFIG="$APT_CONF" apt-get ...
lab_apt_setup() {
	a=$CACHE/apt/$GEN
	mkdir -p "$a/lists/partial" "$a/archives/partial"
	: >"$a/sources.list.new"
	for s in $KSUITES; do
		case $s in
		*-security) uri=$SECURITY_URI ;;
		*) uri=$ARCHIVE_URI ;;
		esac
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri/ $s main" >>"$a/sources.list.new"
	done
	mv "$a/sources.list.new" "$a/sources.list"
	[ -e "$a/status" ] || : >"$a/status"
	APT_CONF=$a/apt.conf
	cat >"$APT_CONF" <<EOF_APT
Dir::Etc::SourceList "$a/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "/nonexistent";
Dir::State::Lists "$a/lists";
Dir::State::status "$a/status";
Dir::Cache "$a/cache";
Dir::Cache::archives "$a/archives";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Sandbox::User "root";
EOF_APT
	mkdir -p "$a/cache"
}
lab_apt() { APT_CONFIG="$APT_CONF" "$@"; }

# lab_kernel_fetch DIR NAME=VERSION: apt-get download of the package into DIR
# (emptied first), and of what it depends on at exactly its version, again
# and again: newer Debian kernels (trixie-backports) split linux-image-ABI
# into linux-binary-ABI (vmlinuz), linux-modules-ABI and linux-base-ABI.
lab_kernel_fetch() {
	rm -rf "$1" && mkdir -p "$1"
	want=$2 got=
	while [ -n "$want" ]; do
		# shellcheck disable=SC2086
		(cd "$1" && lab_apt apt-get download -q $want) || return 1
		got="$got $want"
		want=$(for d in "$1"/*.deb; do dpkg-deb -f "$d" Depends; done | tr ',|' '\n\n' | # both split alternatives
			sed -n 's/^ *\([^ ]*\) *(= *\([^ )]*\))$/\1=\2/p' | sort -u |
			while read -r p; do case " $got " in *" $p "*) ;; *) echo "$p" ;; esac; done | tr '\n' ' ')
	done
}

# GEN's Debian kernel (KPIN): sets KPKG, KPKGVER, KDIR, KVER, VMLINUZ.
lab_kernel() {
	KPKG=${KPIN%%=*}
	KPKGVER=${KPIN#*=}
	KDIR=$CACHE/kernel/${KPKG}_$KPKGVER
	if [ ! -e "$KDIR.done" ]; then
		lab_apt_setup
		dl=$CACHE/kernel/download
		say "[$GEN] fetching the kernel $KPKG=$KPKGVER from $KSUITES (private apt: $APT_CONF) ..."
		lab_apt apt-get update -q >"$LOGS/$GEN-apt-update.log" 2>&1 ||
			{ sed 's/^/  /' "$LOGS/$GEN-apt-update.log" >&2; die "apt-get update for $KSUITES failed (config $APT_CONF)"; }
		if ! lab_kernel_fetch "$dl" "$KPKG=$KPKGVER" >"$LOGS/$GEN-kernel-download.log" 2>&1; then
			sed 's/^/  /' "$LOGS/$GEN-kernel-download.log" >&2
			dep=$(lab_apt apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
			[ -n "$dep" ] || die "cannot download $KPIN, and $KSUITES has no linux-image-amd64"
			KPKG=$dep
			KPKGVER=$(lab_apt apt-cache policy "$dep" | sed -n 's/^ *Candidate: //p')
			KDIR=$CACHE/kernel/${KPKG}_$KPKGVER
			say "NOTE: the pinned kernel $KPIN cannot be downloaded any more; using $KPKG=$KPKGVER instead. Update test/lab/generations."
			if [ ! -e "$KDIR.done" ]; then
				lab_kernel_fetch "$dl" "$KPKG=$KPKGVER" >"$LOGS/$GEN-kernel-download.log" 2>&1 ||
					{ cat "$LOGS/$GEN-kernel-download.log" >&2; die "cannot download $KPKG=$KPKGVER"; }
			fi
		fi
		if [ ! -e "$KDIR.done" ]; then
			rm -rf "$KDIR"
			for d in "$dl"/*.deb; do dpkg -x "$d" "$KDIR"; done
			# newer packages keep the modules (and vmlinuz) in /usr/lib/modules only
			if [ ! -d "$KDIR/lib/modules" ] && [ -d "$KDIR/usr/lib/modules" ]; then
				mkdir -p "$KDIR/lib" && mv "$KDIR/usr/lib/modules" "$KDIR/lib/modules"
			fi
			kv=$(ls "$KDIR/lib/modules")
			depmod -b "$KDIR" "$kv"
			echo "$KPKG=$KPKGVER" >"$KDIR.done"
		fi
		rm -rf "$dl" "$CACHE/apt/$GEN/archives"/*.deb
	fi
	KPKG=$(cut -d= -f1 "$KDIR.done")
	KPKGVER=$(cut -d= -f2- "$KDIR.done")
	KVER=$(ls "$KDIR/lib/modules" | head -n 1)
	VMLINUZ=$KDIR/boot/vmlinuz-$KVER
	[ -r "$VMLINUZ" ] || VMLINUZ=$KDIR/lib/modules/$KVER/vmlinuz
	[ -r "$VMLINUZ" ] || die "no $VMLINUZ"
	say "[$GEN] kernel: $KPKG=$KPKGVER (uname -r $KVER)"
}

# lab_have_modules MODULE...: sets MODS to those this kernel has as modules;
# says which are built in and which it does not have at all (module names
# change across kernel generations: such a one is skipped, not fatal).
lab_have_modules() {
	MODS=
	for m; do
		if deps=$(modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null); then
			case $deps in
			builtin*) say "[$GEN] module $m: built into $KVER" ;;
			*) MODS="$MODS $m" ;;
			esac
		else
			say "[$GEN] module $m: $KVER has no such module, skipped"
		fi
	done
}

# lab_modules DEST MODULE...: the modules this kernel has of those, and all
# they depend on, into DEST/lib/modules/$KVER, with their modules.dep.
lab_modules() {
	dest=$1
	shift
	lab_have_modules "$@"
	mkdir -p "$dest/lib/modules/$KVER"
	if [ -n "$MODS" ]; then
		# shellcheck disable=SC2086
		modprobe -d "$KDIR" -S "$KVER" --show-depends -a $MODS >"$LOGS/$GEN-modules.list" ||
			die "modprobe --show-depends failed for:$MODS"
	else
		: >"$LOGS/$GEN-modules.list"
	fi
	# Decompressed (newer kernels ship .ko.xz): the initramfs' busybox
	# modprobe need not know the compression.
	awk '$1 == "insmod" { print $2 }' "$LOGS/$GEN-modules.list" | sort -u | while read -r ko; do
		rel=${ko#"$KDIR"/}
		mkdir -p "$dest/${rel%/*}"
		case $ko in
		*.ko.xz) xz -dc "$ko" >"$dest/${rel%.xz}" ;;
		*.ko.zst) zstd -qdc "$ko" >"$dest/${rel%.zst}" ;;
		*.ko.gz) gzip -dc "$ko" >"$dest/${rel%.gz}" ;;
		*) cp "$ko" "$dest/$rel" ;;
		esac
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$KDIR/lib/modules/$KVER/$f" "$dest/lib/modules/$KVER/$f"
	done
	depmod -b "$dest" "$KVER"
}

# The initramfs: busybox and what mounts /dev/vda (the modules it has of
# INITRD_MODULES, listed in its /modules for initramfs-init). Sets INITRD.
lab_initrd() {
	key=$({ cat "$LAB_DIR/initramfs-init"; echo "$KPKG=$KPKGVER $INITRD_MODULES"; sha256sum </bin/busybox; } | sha256sum | cut -c1-12)
	INITRD=$CACHE/initrd-$GEN-$key.cpio.gz
	[ -s "$INITRD" ] && return 0
	st=$CACHE/initrd.stage
	rm -rf "$st" && mkdir -p "$st/bin"
	cp /bin/busybox "$st/bin/busybox"
	install -m 0755 "$LAB_DIR/initramfs-init" "$st/init"
	# shellcheck disable=SC2086
	lab_modules "$st" $INITRD_MODULES
	echo "$MODS" >"$st/modules"
	(cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$st"
	for f in "$CACHE/initrd-$GEN"-*.cpio.gz; do [ "$f" = "$INITRD" ] || rm -f "$f"; done
}

# GEN's Debian root, built once per suite + guest-packages + build-root.sh.
# Sets ROOT.
lab_root() {
	key=$({ echo "$SUITE"; cat "$LAB_DIR/guest-packages" "$LAB_DIR/build-root.sh"; } | sha256sum | cut -c1-12)
	ROOT=$CACHE/root-$GEN-$key
	[ -d "$ROOT" ] && return 0
	for old in "$CACHE/root-$GEN"-*; do [ ! -e "$old" ] || rm -rf "$old"; done
	say "[$GEN] building the guest root (mmdebstrap $SUITE, a few minutes; log: $LOGS/$GEN-build-root.log) ..."
	t=$(date +%s)
	LAB_SOURCES="deb $ARCHIVE_URI/ $SUITE main
deb $ARCHIVE_URI/ $SUITE-updates main
deb $SECURITY_URI/ $SUITE-security main" \
		sh "$LAB_DIR/build-root.sh" "$SUITE" "$ROOT" >"$LOGS/$GEN-build-root.log" 2>&1 ||
		{ tail -n 30 "$LOGS/$GEN-build-root.log" >&2; die "building the $SUITE guest root failed (log: $LOGS/$GEN-build-root.log)"; }
	say "[$GEN] guest root built in $(secs_since "$t") s"
}

# The project's Debian package, as `make deb` builds it (the tests are
# skipped: make check runs on its own in CI; lintian too), rebuilt only when
# the exported source tree changed (the lab's own guest files and scenarios
# are not in the package and do not count). Sets DEB.
lab_deb() {
	src=$CACHE/deb/src
	"$SRC_DIR/test/deb/export.sh" "$src"
	key=$(cd "$src" && find . \( -path ./test/lab -prune \) -o \( -type f -o -type l \) -print |
		{ cat; echo ./test/lab/lab.mk; } | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -c1-12)
	rm -rf "$src"
	out=$CACHE/deb/$key
	# (igd-regroup-dbgsym_* does not match igd-regroup_*)
	DEB=
	for d in "$out"/igd-regroup_*.deb; do [ ! -e "$d" ] || DEB=$d; done
	if [ -z "$DEB" ]; then
		for old in "$CACHE"/deb/*; do [ ! -e "$old" ] || rm -rf "$old"; done
		say "building the .deb (make deb: DEB_BUILD_OPTIONS=nocheck LINTIAN=no; log: $LOGS/deb-build.log) ..."
		t=$(date +%s)
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS -u CPPFLAGS \
			DEB_BUILD_OPTIONS="nocheck${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" LINTIAN=no \
			bash "$SRC_DIR/test/deb/build.sh" "$out.tmp" >"$LOGS/deb-build.log" 2>&1 ||
			{ tail -n 30 "$LOGS/deb-build.log" >&2; die "make deb failed (log: $LOGS/deb-build.log)"; }
		rm -rf "$out.tmp/src"
		mv "$out.tmp" "$out"
		for d in "$out"/igd-regroup_*.deb; do [ ! -e "$d" ] || DEB=$d; done
		[ -n "$DEB" ] || die "make deb left no igd-regroup_*.deb in $out"
		say "built ${DEB##*/} in $(secs_since "$t") s"
	fi
}

# in_stage CMD...: CMD chrooted into the stage, as apt and systemctl run there
in_stage() {
	chroot "$stage" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
# enable_unit STAGE TARGET PATH: what `systemctl enable` does, by hand
enable_unit() { mkdir -p "$1/etc/systemd/system/$2.wants" && ln -sf "$3" "$1/etc/systemd/system/$2.wants/${3##*/}"; }
mask_unit() { ln -sf /dev/null "$1/etc/systemd/system/$2"; }

# The project as users get it: its .deb installed with apt into the root
# (the root has its dependencies: guest-packages), then what the admin does:
# enable the boot unit, put the seed's config into /etc/igd-regroup.conf.
install_project() {
	stage=$1
	mkdir -p "$stage/tmp/igd-deb"
	cp "$DEB" "$stage/tmp/igd-deb/"
	if ! in_stage apt-get install -y -o Dpkg::Use-Pty=0 --no-install-recommends "/tmp/igd-deb/${DEB##*/}" \
		>"$LOGS/$GEN-apt-install.log" 2>&1; then
		tail -n 30 "$LOGS/$GEN-apt-install.log" >&2
		die "[$GEN] apt install ./${DEB##*/} failed in the guest root (log: $LOGS/$GEN-apt-install.log; a dependency missing from test/lab/guest-packages?)"
	fi
	rm -rf "$stage/tmp/igd-deb" "$stage"/var/cache/apt/*.bin
	say "[$GEN] $(in_stage dpkg-query -W -f '${Package} ${Version}' igd-regroup) installed with apt in the $SUITE root"
	in_stage systemctl enable igd-regroup.service >>"$LOGS/$GEN-apt-install.log" 2>&1 ||
		die "[$GEN] systemctl enable igd-regroup.service failed in the guest root"
	# The seed's HP EliteDesk 800 G4 config, as an admin would have it.
	install -m 0644 "$SRC_DIR/test/fixtures/hp-elitedesk-800-g4.conf" "$stage/etc/igd-regroup.conf"
}

# This run's image of GEN: the cached root + modules + the .deb + the lab's files.
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
	install -m 0644 "$e/igd-lab.service" "$e/igd-lab-tap.service" "$e/igd-lab-groups.service" "$e/netbird.service" \
		"$stage/etc/systemd/system/"
	g=$stage/usr/lib/igd-lab
	install -d "$g/scenarios" "$stage/mnt/data"
	install -m 0755 "$LAB_DIR/guest/run" "$LAB_DIR/guest/passthrough-tweak.sh" "$g/"
	install -m 0644 "$LAB_DIR/guest/lib.sh" "$g/"
	install -m 0644 "$LAB_DIR"/scenarios/*.sh "$g/scenarios/"
	# boot-journal's config (its kernel command line names it)
	install -m 0644 "$e/boot-journal.conf" "$g/boot-journal.conf"
	cc -static -O2 -Wall -o "$g/labtool" "$LAB_DIR/guest/labtool.c" || die "cannot build labtool (static: needs libc6-dev)"
	for u in igd-lab.service igd-lab-tap.service netbird.service; do
		enable_unit "$stage" multi-user.target "/etc/systemd/system/$u"
	done
	enable_unit "$stage" sysinit.target /etc/systemd/system/igd-lab-groups.service
	# quiet and quick: no logins on the consoles, no periodic jobs
	for u in serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
		apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
		fstrim.timer e2scrub_reap.service; do
		mask_unit "$stage" "$u"
	done
	truncate -s 1G "$RUN/root.img"
	truncate -s 96M "$RUN/data.img"
	mke2fs -q -F -t ext4 -L igdlab -d "$stage" "$RUN/root.img"
	mke2fs -q -F -t ext4 -L igddata "$RUN/data.img"
	rm -rf "$stage"
}

# lab_prepare_gen GEN: everything GEN's boots need (after lab_preflight and
# lab_deb), cached where it can be.
lab_prepare_gen() {
	t=$(date +%s)
	lab_generation "$1"
	lab_archive
	lab_kernel
	lab_initrd
	lab_root
	t2=$(date +%s)
	lab_image
	say "[$GEN] image ready ($(secs_since "$t2") s for this run's image; $(secs_since "$t") s in all)"
}

# lab_prepare GEN: the same, for one generation, from the start
lab_prepare() {
	lab_preflight
	lab_deb
	lab_prepare_gen "$1"
}

# lab_boot ID SCENARIO LAYOUT [KERNEL ARGS...]: one fresh boot (the images
# are opened snapshot=on: nothing a scenario writes survives it), of the
# generation lab_prepare_gen set up last. Logs: $LOGS/GEN-ID.console.log
# (ttyS0), $LOGS/GEN-ID.result.log (ttyS1). Returns qemu's status.
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
	# no_timer_check: on a loaded host, the emulated CPU can miss the few
	# timer ticks the kernel waits for through the interrupt-remapped
	# IO-APIC, and 7.3 then panics ("timer doesn't work through
	# Interrupt-remapped IO-APIC") before anything ran.
	BOOT_CONSOLE=$LOGS/$GEN-$id.console.log
	BOOT_RESULT=$LOGS/$GEN-$id.result.log
	: >"$BOOT_CONSOLE"
	: >"$BOOT_RESULT"
	timeout -k 10 "$LAB_TIMEOUT" qemu-system-x86_64 \
		-nodefaults -display none -no-reboot \
		-machine q35,accel=tcg,kernel-irqchip=split,sata=off,smbus=off \
		-cpu max -smp "$LAB_SMP" -m "$LAB_MEM" \
		-device intel-iommu,intremap=on,caching-mode=on \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 intel_iommu=on iommu=pt no_timer_check panic=-1 loglevel=4 igd.scenario=$scenario igd.layout=$layout igd.timeout=$((LAB_TIMEOUT - 60)) $*" \
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

# lab_verdict ID: (of GEN) 0 when the guest reported "N passed, 0 failed" with N > 0;
# prints the failing lines (and their diagnostics) otherwise.
lab_verdict() {
	r=$LOGS/$GEN-$1.result.log
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
