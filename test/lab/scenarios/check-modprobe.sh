# Host drivers and module configuration: while nothing keeps snd_hda_intel
# off the audio function, `igd-regroup check` warns, naming the driver and
# the modprobe.d lines that would. With exactly those lines in
# /etc/modprobe.d/igd-regroup.conf, made effective the way a boot would
# (the drivers unloaded, then the functions' add uevents replayed: udev
# loads the driver by modalias, and the softdep loads vfio-pci first with
# the ids), check is quiet and `igd-regroup apply` never lets snd_hda_intel
# bind 1f.3: the kernel's bind uevents during apply are watched.
AUDIO=0000:00:1f.3
CONF=/etc/modprobe.d/igd-regroup.conf

# watch_apply NAME: igd-regroup apply while udevadm monitor records the
# kernel's PCI uevents; $WORK/NAME-uevents gets those of apply, one
# "ACTION DEVPATH DRIVER" line each. Synthetic change uevents of 1f.4
# carrying IGDMARK=start / IGDMARK=end bracket apply: once the monitor
# shows a start mark it listens; once it shows the end mark it has every
# uevent of apply (the kernel broadcasts them in order).
mark() { echo "change $(cat /proc/sys/kernel/random/uuid) IGDMARK=$1" >"$PCI/0000:00:1f.4/uevent"; }
has_mark() { grep -qx "SYNTH_ARG_IGDMARK=$1" "$UEVENTS"; }
watch_apply() {
	local name=$1 monitor end
	UEVENTS=$WORK/$name-monitor
	udevadm monitor --kernel --property --subsystem-match=pci >"$UEVENTS" 2>&1 &
	monitor=$!
	end=$(($(date +%s) + 30))
	until has_mark start || [ "$(date +%s)" -ge "$end" ]; do
		mark start
		sleep 0.5
	done
	check "lab: udevadm monitor receives the kernel's PCI uevents" has_mark start
	run_igd "$name" apply
	check "igd-regroup apply exits 0" test "$rc" = 0
	mark end
	check "lab: the monitor has every uevent up to the end of apply" wait_until 30 has_mark end
	kill "$monitor" 2>/dev/null
	wait "$monitor" 2>/dev/null
	# udevadm monitor --property: one blank-line separated block per uevent
	awk 'BEGIN { RS = "" }
		/\nSYNTH_ARG_IGDMARK=start/ { out = ""; on = 1; next }
		/\nSYNTH_ARG_IGDMARK=end/ { printf "%s", out; exit }
		on && /^KERNEL\[/ {
			a = p = ""; d = "-"
			n = split($0, l, "\n")
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^ACTION=/) a = substr(l[i], 8)
				if (l[i] ~ /^DEVPATH=/) p = substr(l[i], 9)
				if (l[i] ~ /^DRIVER=/) d = substr(l[i], 8)
			}
			out = out a " " p " " d "\n"
		}' "$UEVENTS" >"$WORK/$name-uevents"
	sed -n '/ \/devices\/.*\/0000:00:1f\.[0-9] /p' "$WORK/$name-uevents" | sed "s/^/# $name uevent: /"
}

wait_boot
audio_id=$(printf '%04x:%04x' "$(cat "$PCI/$AUDIO/vendor")" "$(cat "$PCI/$AUDIO/device")")
diag "1f.3 is $audio_id ($(cat "$PCI/$AUDIO/modalias")), driver $(driver_of "$AUDIO")"
check "lab: snd_hda_intel took $AUDIO at boot (nothing keeps it off yet)" has_driver "$AUDIO" snd_hda_intel
check "lab: no $CONF yet" test ! -e "$CONF"

# ---- 0. what the kernel does while nothing keeps the driver off ----
# The watcher's control: at the rescan the kernel attaches 1f.3 to the first
# driver that matches it, snd_hda_intel, and apply then moves it.
watch_apply apply0
check "without module configuration, snd_hda_intel bound $AUDIO at the rescan (the monitor sees such a bind)" \
	grep -q "^bind .*/$AUDIO snd_hda_intel\$" "$WORK/apply0-uevents"
check "apply moved $AUDIO to vfio-pci" has_driver "$AUDIO" vfio-pci

# ---- 1. nothing keeps the host drivers off: check warns ----
run_igd check1 check
check "igd-regroup check exits 0 (a WARN is not a failure)" test "$rc" = 0
check "check warns that snd_hda_intel claims $AUDIO and nothing keeps it off" \
	grep -qF "WARN driver    $AUDIO ($audio_id): snd_hda_intel claims it and nothing keeps it off: it takes the device at boot and at every rescan until igd-regroup moves it" "$WORK/check1.out"
check "check names the file: put in $CONF" grep -q "^WARN modprobe  to keep .*snd_hda_intel.* off, put in $CONF" "$WORK/check1.out"
# the recipe: its lines are the indented options/softdep lines
sed -n 's/^ \{17\}\(options vfio-pci ids=.*\|softdep [^ ]* pre: vfio-pci\)$/\1/p' "$WORK/check1.out" >"$WORK/recipe"
diag_file "$WORK/recipe" "recipe: "
check "the recipe gives vfio-pci the audio function's id ($audio_id)" \
	grep -Eq "^options vfio-pci ids=([0-9a-f:]+,)*$audio_id(,|\$)" "$WORK/recipe"
check "the recipe loads vfio-pci before snd_hda_intel" grep -qx "softdep snd_hda_intel pre: vfio-pci" "$WORK/recipe"
check "check says to run update-initramfs -u" grep -q "then run update-initramfs -u" "$WORK/check1.out"

# ---- 2. exactly those lines in modprobe.d: check is quiet ----
cp "$WORK/recipe" "$CONF"
run_igd check2 check
check "with the lines in $CONF, check exits 0" test "$rc" = 0
check "check says snd_hda_intel is kept off $AUDIO" \
	grep -qF "ok   driver    $AUDIO ($audio_id): snd_hda_intel is kept off (vfio-pci ids=$audio_id, softdep snd_hda_intel pre: vfio-pci)" "$WORK/check2.out"
check "no driver or modprobe warning is left" sh -c "! grep -E '^(WARN|FAIL) (driver|modprobe) ' '$WORK/check2.out'"

# ---- 3. in effect without a reboot: what a boot does, replayed ----
# A boot loads vfio-pci (systemd-modules-load) and the host drivers (udev,
# by each function's modalias). Unloaded, both come back the same way: the
# add uevents replayed, udev's kmod builtin loads snd_hda_intel, and the
# softdep loads vfio-pci before it with ids= from modprobe.d.
replayed=
for m in snd_hda_intel lpc_ich bochs; do
	if [ -d "/sys/module/$m" ]; then
		if modprobe -r "$m" 2>"$WORK/rmmod.err"; then
			replayed="$replayed $m"
		else
			diag "modprobe -r $m failed (left loaded: it keeps its device): $(cat "$WORK/rmmod.err")"
		fi
	fi
done
check "lab: snd_hda_intel unloaded" test ! -d /sys/module/snd_hda_intel
check "lab: vfio_pci unloaded (it comes back with ids= from $CONF)" modprobe -r vfio_pci
check "lab: $AUDIO has no driver now" test ! -e "$PCI/$AUDIO/driver"
diag "unloaded:$replayed vfio_pci; replaying the add uevents of the PCI functions"
for d in $HP_VFIO; do
	udevadm trigger --action=add "$PCI/$d"
done
udevadm settle --timeout=120
diag "modules now: $(lsmod | awk 'NR > 1 && /^(vfio_pci|snd_hda_intel|lpc_ich|bochs) / { printf "%s ", $1 }')"
diag_file /sys/module/vfio_pci/parameters/ids "vfio_pci ids: " 2>/dev/null
check "udev loaded snd_hda_intel again (by the modalias of $AUDIO)" test -d /sys/module/snd_hda_intel
check "vfio_pci was loaded (the softdep)" test -d /sys/module/vfio_pci
check "$AUDIO is on vfio-pci: vfio-pci had its id and was there first" has_driver "$AUDIO" vfio-pci
run_igd check3 check
check "check stays quiet about drivers" sh -c "! grep -E '^(WARN|FAIL) (driver|modprobe) ' '$WORK/check3.out'"

# ---- 4. apply, watching the kernel's bind uevents ----
watch_apply apply
check "the kernel removed and re-added $AUDIO during apply" \
	sh -c "grep -q '^remove .*/$AUDIO ' '$WORK/apply-uevents' && grep -q '^add .*/$AUDIO ' '$WORK/apply-uevents'"
check "the kernel bound $AUDIO to vfio-pci during apply" grep -q "^bind .*/$AUDIO vfio-pci\$" "$WORK/apply-uevents"
check "snd_hda_intel never bound $AUDIO during apply" sh -c "! grep '^bind .*/$AUDIO snd_hda_intel\$' '$WORK/apply-uevents'"
check "$AUDIO ends on vfio-pci" has_driver "$AUDIO" vfio-pci
check "$AUDIO is alone in its IOMMU group" alone "$AUDIO"
