# make demo-lab: igd-regroup on a real kernel -- the HP EliteDesk's PCH rebuilt
# in QEMU (slot 1f shares one IOMMU group, the NIC at 1f.6 in vmbr0) and the
# seed's config. Status before, the apply, status after.
wait_boot >/dev/null
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
nic=$(nic_name)
printf '\nA Debian %s guest, kernel %s, %s installed from its .deb, intel_iommu=on,\n' \
	"$(cut -d. -f1 /etc/debian_version)" "$(uname -r)" "$(dpkg-query -W -f '${Package} ${Version}' igd-regroup)"
printf 'network up (%s and a VM port,\n' "$nic"
printf 'tap101i0, in vmbr0). /etc/igd-regroup.conf, the seed'"'"'s HP EliteDesk 800 G4:\n\n'
grep -v '^#' /etc/igd-regroup.conf | sed '/^$/d; s/^/    /'
step igd-regroup status
igd-regroup status
step igd-regroup check
igd-regroup check
step igd-regroup apply --dry-run
igd-regroup apply --dry-run
step igd-regroup apply
igd-regroup apply 2>&1
rc=$?
printf '(exit status %d)\n' "$rc"
step igd-regroup status
igd-regroup status
if systemctl cat igd-regroup-netnotify.service >/dev/null 2>&1; then
	notifier_done() { systemctl show -P ActiveState igd-regroup-netnotify.service | grep -Eqx 'inactive|failed'; }
	wait_until 60 in_bridge "$nic" vmbr0 >/dev/null
	wait_until 60 notifier_done >/dev/null
	step "journalctl -u igd-regroup-netnotify.service   # the notifier apply started"
	journalctl -b -q -o cat -u igd-regroup-netnotify.service
fi
step bridge link
bridge link
printf '\nEvery function of slot 1f now has an IOMMU group of its own, and 02.0, 1f.0\n'
printf 'and 1f.3 are on vfio-pci, ready for a VM.\n\n'
check "igd-regroup apply exits 0" test "$rc" = 0
for f in $HP_FUNCS; do
	check "$f is alone in its IOMMU group" alone "$f"
done
