/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * igd-regroup-hook as Proxmox runs it (VMID PHASE, root, stdin at EOF), on
 * fixture roots with the sysfs model, and `igd-regroup install-hook`.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/escape.h"
#include "fixture.h"
#include "pve/hook.h"
#include "testutil.h"

static char *root, *conf, *topo, *out, *err;
static const char *topo_name;

#define HP_CONF                                                                                    \
	"[regroup]\n"                                                                              \
	"functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"           \
	"timeout_ms = 2000\n"                                                                      \
	"[vfio]\n"                                                                                 \
	"devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"                                       \
	"[hook]\n"                                                                                 \
	"vmids = 100\n"

/* seeds/000: the final config with the LPC bridge passed too */
#define VM100_SEED000                                                                              \
	"agent: 1\n"                                                                               \
	"bios: ovmf\n"                                                                             \
	"hostpci0: 0000:00:02,legacy-igd=1,romfile=igpu-uhd630.rom\n"                              \
	"hostpci1: 0000:00:1f.0\n"                                                                 \
	"hostpci2: 0000:00:1f.3\n"                                                                 \
	"machine: pc-i440fx-9.2\n"                                                                 \
	"name: win11\n"                                                                            \
	"vga: none\n"

static void use_topology(const char *name)
{
	topo_name = name;
	free(topo);
	topo = fixture_topo_path(name);
	ck_assert_int_eq(fixture_build_named(root, name), 0);
}

static void setup_on(const char *topology)
{
	root = tu_mkdtemp();
	conf = tu_path(root, "igd-regroup.conf");
	tu_write_file(root, "igd-regroup.conf", HP_CONF);
	tu_write_file(root, "etc/hostname", "pve\n");
	use_topology(topology);
}

static void setup(void)
{
	setup_on("hp-elitedesk-800-g4");
}

static void teardown(void);

/* A fresh root with another machine (use_topology adds to the tree: for the HP's split state). */
static void other_machine(const char *topology)
{
	teardown();
	setup_on(topology);
}

static void teardown(void)
{
	tu_rm_rf(root);
	free(root);
	free(conf);
	free(topo);
	free(out);
	free(err);
	root = conf = topo = out = err = NULL;
}

static int run_prog(const char *prog, const char *faults, const char *const *args)
{
	_cleanup_(freep) char *path = tu_build_path(prog);
	_cleanup_(freep) char *e_root = NULL, *e_conf = NULL, *e_sroot = NULL, *e_topo = NULL, *e_f = NULL;
	char *argv[8] = { path };
	size_t n = 1;

	for (; args[n - 1]; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	ck_assert_int_ge(asprintf(&e_root, "IGD_REGROUP_ROOT=%s", root), 0);
	ck_assert_int_ge(asprintf(&e_conf, "IGD_REGROUP_CONFIG=%s", conf), 0);
	ck_assert_int_ge(asprintf(&e_sroot, "IGD_SIM_ROOT=%s", root), 0);
	ck_assert_int_ge(asprintf(&e_topo, "IGD_SIM_TOPO=%s", topo), 0);
	ck_assert_int_ge(asprintf(&e_f, "IGD_SIM_FAULTS=%s", faults ? faults : ""), 0);
	char *env[] = { e_root, e_conf, e_sroot, e_topo, e_f, NULL };
	free(out);
	free(err);
	return tu_run(argv, env, &out, &err);
}

#define HOOK(...) run_prog("test/igd-regroup-hook-sim", NULL, (const char *const[]){ __VA_ARGS__, NULL })
/* The installed program itself, without the sysfs model: for phases that must write nothing. */
#define REAL_HOOK(...) run_prog("igd-regroup-hook", NULL, (const char *const[]){ __VA_ARGS__, NULL })
/* The hook's exit status must be rc; a failure shows what it printed. */
#define EXPECT_HOOK(rc, ...)                                                                       \
	do {                                                                                       \
		int _r = HOOK(__VA_ARGS__);                                                        \
		ck_assert_msg(_r == (rc), "exit %d, not %d; stdout:\n%s\nstderr:\n%s", _r, (rc), out,  \
			      err);                                                                \
	} while (0)
#define HOOK_FAULTS(f, ...) run_prog("test/igd-regroup-hook-sim", f, (const char *const[]){ __VA_ARGS__, NULL })

static void assert_has(const char *hay, const char *needle)
{
	ck_assert_msg(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_lacks(const char *hay, const char *needle)
{
	ck_assert_msg(!hay || !strstr(hay, needle), "did not expect '%s' in:\n%s", needle, hay);
}

static void vm(unsigned vmid, const char *text)
{
	_cleanup_(freep) char *rel = NULL;

	ck_assert_int_ge(asprintf(&rel, "etc/pve/qemu-server/%u.conf", vmid), 0);
	tu_write_file(root, rel, text);
}

static char *driver_of(const char *addr)
{
	_cleanup_(freep) char *rel = NULL, *p = NULL;
	char buf[256];
	ssize_t n;

	ck_assert_int_ge(asprintf(&rel, "sys/bus/pci/devices/%s/driver", addr), 0);
	p = tu_path(root, rel);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(strrchr(buf, '/') + 1);
}

/* ---- arguments ---- */

START_TEST(argv_errors_exit_2)
{
	static const char *const bad_vmids[] = { "99", "1000000000", "0100", "abc", "+100", "100x", "" };

	ck_assert_int_eq(HOOK("100"), 2);
	assert_has(err, "igd-regroup: expected a VMID (100..999999999) and a phase.");
	assert_has(err, "Usage: igd-regroup-hook VMID PHASE");
	ck_assert_int_eq(HOOK("100", "pre-start", "extra"), 2);
	for (size_t i = 0; i < ELEMENTSOF(bad_vmids); i++) {
		ck_assert_int_eq(HOOK(bad_vmids[i], "pre-start"), 2);
		assert_has(err, "expected a VMID");
	}
	ck_assert_int_eq(HOOK("100", "pre-migrate"), 2);
	assert_has(err, "igd-regroup: unknown phase 'pre-migrate' for VM 100; nothing done.");
	ck_assert_int_eq(HOOK("--help"), 0);
	assert_has(out, "Usage: igd-regroup-hook VMID PHASE");
}
END_TEST

/* What a caller passes as the phase is shown quoted, escaped and cut, never raw. */
START_TEST(unknown_phase_escaped_and_cut)
{
	_cleanup_(freep) char *big = malloc(100 * 1024 + 1);

	ck_assert_int_eq(HOOK("100", "\x1b]0;owned\x07\x1b[31mred\npost-stop\r\t'\\\x7f\xc3\xa9"), 2);
	ck_assert_str_eq(err, "igd-regroup: unknown phase "
			      "'\\x1b]0;owned\\x07\\x1b[31mred\\npost-stop\\r\\t\\'\\\\\\x7f\\xc3\\xa9' "
			      "for VM 100; nothing done.\n");

	ck_assert_ptr_nonnull(big);
	memset(big, 'A', 100 * 1024);
	big[100 * 1024] = '\0';
	big[10] = '\n';
	ck_assert_int_eq(HOOK("100", big), 2);
	ck_assert_str_eq(err, "igd-regroup: unknown phase "
			      "'AAAAAAAAAA\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' "
			      "for VM 100; nothing done.\n");
	/* exactly the limit: nothing cut */
	big[10] = 'A';
	big[64] = '\0';
	ck_assert_int_eq(HOOK("100", big), 2);
	assert_has(err, "AAAA' for VM 100");
	assert_lacks(err, "...");
}
END_TEST

START_TEST(escape_cut_bounds)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} t[] = {
		{ "", 64, "" },
		{ "post-stop", 64, "post-stop" },
		{ "post-stop", 4, "post..." },
		{ "\x01\x1b\xff", 2, "\\x01\\x1b..." },
		{ "a'b\\c", 64, "a\\'b\\\\c" },
		{ "abc", 0, "..." },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(freep) char *o = escape_cut(t[i].in, t[i].max);

		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(o, t[i].out);
	}
}
END_TEST

START_TEST(vmid_and_phase_parsers)
{
	uint32_t v = 7;
	enum hook_phase p;

	ck_assert_int_eq(hook_vmid_parse("100", &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(hook_vmid_parse("999999999", &v), 0);
	ck_assert_uint_eq(v, 999999999);
	ck_assert_int_eq(hook_vmid_parse("99", &v), -EINVAL);
	ck_assert_int_eq(hook_vmid_parse("1000000000", &v), -EINVAL);
	ck_assert_int_eq(hook_vmid_parse("0100", &v), -EINVAL);
	ck_assert_int_eq(hook_vmid_parse(" 100", &v), -EINVAL);
	ck_assert_uint_eq(v, 999999999);
	ck_assert_int_eq(hook_phase_parse("post-stop", &p), 0);
	ck_assert_int_eq(p, HOOK_POST_STOP);
	ck_assert_int_eq(hook_phase_parse("Post-stop", &p), -EINVAL);
}
END_TEST

START_TEST(bad_config_exits_2)
{
	tu_write_file(root, "igd-regroup.conf", "[hook]\nreset_phase = sometimes\n");
	vm(100, VM100_SEED000);
	ck_assert_int_eq(HOOK("100", "pre-start"), 2);
	assert_has(err, ":2: ");
}
END_TEST

START_TEST(vm_not_selected)
{
	_cleanup_(freep) char *before = tu_tree_digest(root), *after = NULL;

	vm(101, VM100_SEED000);
	free(before);
	before = tu_tree_digest(root);
	ck_assert_int_eq(REAL_HOOK("101", "pre-start"), 0);
	assert_has(out, "igd-regroup: VM 101 is not in [hook] vmids; nothing to do.\n");
	ck_assert_int_eq(REAL_HOOK("101", "post-stop"), 0);
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
}
END_TEST

START_TEST(fast_phases_do_nothing)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	vm(100, VM100_SEED000);
	before = tu_tree_digest(root);
	ck_assert_int_eq(REAL_HOOK("100", "post-start"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	/* pre-stop is not the reset phase by default */
	ck_assert_int_eq(REAL_HOOK("100", "pre-stop"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after); /* no lock file, nothing */
}
END_TEST

/* ---- pre-start ---- */

START_TEST(pre_start_refused_before_split)
{
	_cleanup_(freep) char *drv = NULL;

	vm(100, VM100_SEED000);
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: refusing to start VM 100: 0000:00:1f.0 (Q370 Chipset LPC/eSPI Controller) "
			"and 0000:00:1f.3 (Cannon Lake PCH cAVS) share IOMMU group 7 with "
			"0000:00:1f.4 (Cannon Lake PCH SMBus Controller, driver i801_smbus), "
			"0000:00:1f.5 (Cannon Lake PCH SPI Controller, driver intel-spi), "
			"0000:00:1f.6 (Ethernet Connection (7) I219-LM, driver e1000e, eno1 in vmbr0), "
			"which the host uses; Proxmox would bind them to vfio-pci and take them from the "
			"host. Run 'igd-regroup apply' (or enable igd-regroup.service) to split the group.\n");
	/* refused before anything was bound */
	drv = driver_of("0000:00:1f.3");
	ck_assert_str_eq(drv, "snd_hda_intel");
}
END_TEST

/* "hostpci3:" without a value: Proxmox starts the VM without it, and the hook lets it */
START_TEST(pre_start_empty_hostpci_warns)
{
	vm(100, VM100_SEED000 "hostpci3:\n");
	tu_write_file(root, "usr/share/kvm/igpu-uhd630.rom", "rom");
	ck_assert_int_eq(run_prog("test/igd-regroup-sim", NULL, (const char *const[]){ "apply", NULL }), 0);
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(err, "igd-regroup: warning: ");
	assert_has(err, "/etc/pve/qemu-server/100.conf:9: ignoring hostpci3 without a value; Proxmox starts the VM "
			"without it\n");
	assert_has(out, "igd-regroup: VM 100: 3 passed device(s) checked; none takes a device from the host.\n");
}
END_TEST

START_TEST(pre_start_passes_after_apply)
{
	_cleanup_(freep) char *drv = NULL;

	vm(100, VM100_SEED000);
	tu_write_file(root, "usr/share/kvm/igpu-uhd630.rom", "rom");
	ck_assert_int_eq(run_prog("test/igd-regroup-sim", NULL, (const char *const[]){ "apply", NULL }), 0);
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	assert_has(out, "igd-regroup: VM 100: 3 passed device(s) checked; none takes a device from the host.\n");
	assert_lacks(err, "warning");
	drv = driver_of("0000:00:1f.3");
	ck_assert_str_eq(drv, "vfio-pci");
}
END_TEST

START_TEST(pre_start_binds_the_vms_vfio_devices)
{
	_cleanup_(freep) char *gpu = NULL;

	/* split state with 02.0 back on i915: the hook binds it, since VM 100 passes it */
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.3,rombar=0\nmachine: pc\nvga: none\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	gpu = driver_of("0000:00:02.0");
	ck_assert_str_eq(gpu, "vfio-pci");
}
END_TEST

START_TEST(pre_start_isolation_off)
{
	tu_write_file(root, "igd-regroup.conf", HP_CONF "check_isolation = no\n");
	vm(100, "hostpci0: 0000:00:1f.3\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	assert_lacks(err, "refusing");
}
END_TEST

START_TEST(pre_start_mapping_resolves)
{
	tu_write_file(root, "etc/pve/mapping/pci.cfg",
		      "hd-audio\n"
		      "\tmap id=8086:a348,iommugroup=7,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n"
		      "\tmap id=8086:a348,iommugroup=7,node=pve2,path=0000:00:1f.4,subsystem-id=103c:83e2\n");
	vm(100, "hostpci0: mapping=hd-audio\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	/* 1f.0 has no driver: the host does not use it, so it is not named */
	assert_has(err, "refusing to start VM 100: 0000:00:1f.3 (Cannon Lake PCH cAVS) shares IOMMU group 7 with "
			"0000:00:1f.4 (Cannon Lake PCH SMBus Controller, driver i801_smbus), ");
}
END_TEST

START_TEST(pre_start_slot_means_all_functions)
{
	/* the N100's "hostpci1: 0000:00:1f,pcie=1" passes every function of slot 1f: nothing of
	   the group is left to the host, and none of them is a NIC or disk the host uses */
	other_machine("n100");
	vm(100, "hostpci0: 0000:00:02,pcie=1,x-vga=1\nhostpci1: 0000:00:1f,pcie=1\nmachine: q35\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(out, "VM 100: 5 passed device(s) checked");
}
END_TEST

START_TEST(pre_start_slot_takes_the_hosts_nic)
{
	_cleanup_(freep) char *nic = NULL;

	/* the same config on the HP: slot 1f includes 1f.6, eno1 in vmbr0 */
	vm(100, "hostpci0: 0000:00:02,pcie=1,x-vga=1\nhostpci1: 0000:00:1f,pcie=1\nmachine: q35\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "igd-regroup: refusing to start VM 100: hostpci1 (0000:00:1f) takes 0000:00:1f.6 "
			"(Ethernet Connection (7) I219-LM), which the host is using: network interface eno1 "
			"is up, a port of vmbr0. Release it on the host first, or pass only the functions "
			"the VM needs.\n");
	assert_lacks(err, "takes 0000:00:1f.3");
	nic = driver_of("0000:00:1f.6");
	ck_assert_str_eq(nic, "e1000e");
	/* refused even when the isolation check is off: the device itself is the host's */
	tu_write_file(root, "igd-regroup.conf", HP_CONF "check_isolation = no\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "takes 0000:00:1f.6");
}
END_TEST

START_TEST(pre_start_refuses_the_root_disk)
{
	vm(100, "hostpci0: 0000:00:17.0\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "igd-regroup: refusing to start VM 100: hostpci0 (0000:00:17.0) takes 0000:00:17.0 "
			"(SATA Controller [RAID mode]), which the host is using: disk sda is used (LVM pve, /, /boot/efi, swap). Release it");
}
END_TEST

START_TEST(pre_start_refuses_a_disk_another_vm_uses)
{
	/* an NVMe controller with nothing mounted, whose LVM thin volume VM 101's QEMU holds open */
	ck_assert_int_eq(fixture_build(root, "device 0000:02:00.0 144d:a808 class=010802 group=12 driver=nvme\n"
					     "block nvme0n1 dev=0000:02:00.0\n"
					     "block dm-7 virtual slaves=nvme0n1\n"
					     "udev nvme0n1 ID_FS_TYPE=LVM2_member\n"
					     "udev dm-7 DM_VG_NAME=data2 DM_LV_NAME=vm-101-disk-0\n"
					     "link /proc/5151/fd/20 /dev/dm-7\n"
					     "file /run/qemu-server/101.pid 5151\n"),
			 0);
	vm(100, "hostpci0: 0000:02:00.0\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "igd-regroup: refusing to start VM 100: hostpci0 (0000:02:00.0) takes 0000:02:00.0 ");
	assert_has(err, "which the host is using: disk nvme0n1 is used (LVM data2, VM 101). Release it");
}
END_TEST

START_TEST(pre_start_template)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	/* refused as a VM before the split; as a template Proxmox starts it without hostpci */
	vm(100, VM100_SEED000 "template: 1\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(REAL_HOOK("100", "pre-start"), 0);
	ck_assert_str_eq(out, "igd-regroup: VM 100 is a template: Proxmox starts it without its PCI devices; "
			      "nothing to check.\n");
	ck_assert_int_eq(REAL_HOOK("100", "post-stop"), 0);
	ck_assert_str_eq(out, "igd-regroup: VM 100 is a template: it ran without its PCI devices; nothing "
			      "to reset.\n");
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
}
END_TEST

START_TEST(pre_start_mdev_parent_keeps_its_driver)
{
	_cleanup_(freep) char *gpu = NULL, *audio = NULL;

	/* GVT-g: the iGPU stays on i915 even though [vfio] lists it; its group is not checked */
	vm(100, "hostpci0: 0000:00:02.0,mdev=i915-GVTg_V5_4\nhostpci1: 0000:00:1f.3,mdev=x\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(out, "igd-regroup: 0000:00:02.0 is in [vfio] devices, but this VM makes mediated devices "
			"on it (mdev=): it keeps its host driver and is not bound.\n");
	assert_has(out, "VM 100: 0 passed device(s) checked");
	assert_lacks(err, "refusing");
	gpu = driver_of("0000:00:02.0");
	ck_assert_str_eq(gpu, "i915");
	audio = driver_of("0000:00:1f.3");
	ck_assert_str_eq(audio, "snd_hda_intel");
}
END_TEST

START_TEST(pre_start_driver_keep)
{
	_cleanup_(freep) char *gpu = NULL;

	/* Proxmox does not bind a driver=keep device: neither do we, [vfio] or not */
	vm(100, "hostpci0: 0000:00:02.0,driver=keep\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(out, "igd-regroup: 0000:00:02.0 is in [vfio] devices, but its hostpci entry has "
			"driver=keep: Proxmox leaves its driver as it is, and so does igd-regroup.\n");
	assert_has(out, "VM 100: 1 passed device(s) checked");
	gpu = driver_of("0000:00:02.0");
	ck_assert_str_eq(gpu, "i915");
	/* the isolation check stays: QEMU needs the group; the words do not claim a bind */
	vm(100, "hostpci0: 0000:00:1f.3,driver=keep\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "igd-regroup: refusing to start VM 100: 0000:00:1f.3 (Cannon Lake PCH cAVS) shares IOMMU "
			"group 7 with 0000:00:1f.4 (Cannon Lake PCH SMBus Controller, driver i801_smbus), ");
	assert_has(err, "which the host uses; with driver=keep Proxmox binds nothing, but QEMU needs every "
			"device of the group free of host drivers.");
	assert_lacks(err, "Proxmox would bind");
}
END_TEST

START_TEST(pre_start_mapping_used_twice)
{
	/* one map line for this node, used by two entries: Proxmox refuses ("assigned more than once") */
	tu_write_file(root, "etc/pve/mapping/pci.cfg",
		      "hd-audio\n"
		      "\tmap id=8086:a348,iommugroup=8,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n");
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: mapping=hd-audio\nhostpci1: mapping=hd-audio\n");
	EXPECT_HOOK(1, "100", "pre-start");
	assert_has(err, "igd-regroup: hostpci1: 0000:00:1f.3 is also taken by hostpci0: Proxmox refuses to "
			"assign a device more than once.\n");
	/* two map lines: each entry takes its own, as qemu-server chooses */
	tu_write_file(root, "etc/pve/mapping/pci.cfg",
		      "hd-audio\n"
		      "\tmap id=8086:a348,iommugroup=8,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n"
		      "\tmap id=8086:3e92,iommugroup=0,node=pve,path=0000:00:02.0,subsystem-id=103c:83e2\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(out, "VM 100: 2 passed device(s) checked");
	assert_lacks(err, "warning");
}
END_TEST

START_TEST(pre_start_mapping_made_before_the_split)
{
	/* the GUI wrote iommugroup=7 before the split; 1f.3 is in group 8 now */
	use_topology("hp-elitedesk-800-g4-split");
	tu_write_file(root, "etc/pve/mapping/pci.cfg",
		      "hd-audio\n"
		      "\tmap id=8086:a348,iommugroup=7,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n");
	vm(100, "hostpci0: mapping=hd-audio\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(err, "igd-regroup: warning: hostpci0: mapping 'hd-audio' expects 0000:00:1f.3 in IOMMU group 7, "
			"but it is in group 8 now: Proxmox will refuse to start the VM (\"'iommugroup' does not "
			"match\"). The split moved it: set the mapping's device again (Datacenter, Resource "
			"Mappings) once the split is in place.\n");
}
END_TEST

START_TEST(pre_start_legacy_igd_rules)
{
	/* what qemu-server's parse_hostpci_devices refuses, said before it does */
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:02.0,legacy-igd=1,rombar=0,x-vga=1\n"
		"hostpci1: 0000:00:1f.3,legacy-igd=1\nmachine: pc-i440fx-9.2\nvga: none\n");
	EXPECT_HOOK(0, "100", "pre-start");
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 and rombar=0: legacy IGD mode needs the "
			"ROM BAR; Proxmox will refuse to start the VM.\n");
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 and x-vga=1, which legacy IGD mode "
			"does not allow; Proxmox will refuse to start the VM.\n");
	assert_has(err, "igd-regroup: warning: hostpci1 has legacy-igd=1 as does hostpci0: only one device can "
			"be in legacy IGD mode; Proxmox will refuse to start the VM.\n");
	assert_has(err, "igd-regroup: warning: hostpci1 has legacy-igd=1 on 0000:00:1f.3: legacy IGD mode works "
			"only for the device at 00:02.0; Proxmox will refuse to start the VM.\n");
	assert_lacks(err, "vga is");
	assert_lacks(err, "i440fx machine");
	assert_lacks(err, "together");
	/* a list passed together is a multifunction device */
	vm(100, "hostpci0: 0000:00:02.0;0000:00:1f.3,legacy-igd=1\nhostpci1: 0000:00:1f.0\nvga: none\n");
	EXPECT_HOOK(1, "100", "pre-start"); /* 1f.0 still shares its group */
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 and passes 2 functions together: "
			"legacy IGD mode does not allow a multifunction device; Proxmox will refuse to start "
			"the VM.\n");
	assert_lacks(err, "rombar");
	/* vga compares as a whole, as qemu-server does */
	vm(100, "hostpci0: 0000:00:02.0,legacy-igd=1\nhostpci1: 0000:00:1f.0\nvga: none,clipboard=vnc\n");
	EXPECT_HOOK(1, "100", "pre-start"); /* 1f.0 still shares its group */
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 but vga is none,clipboard=vnc: legacy "
			"IGD mode needs vga: none.\n");
}
END_TEST

START_TEST(pre_start_without_iommu)
{
	_cleanup_(freep) char *text = tu_read_file(topo), *all = NULL, *drv = NULL;

	/* the HP booted without intel_iommu=on: no groups */
	ck_assert_int_ge(asprintf(&all, "%s\nnoiommu\ncmdline root=/dev/mapper/pve-root ro quiet\n", text), 0);
	tu_rm_rf(root);
	tu_mkdir_p(root, "");
	tu_write_file(root, "igd-regroup.conf", HP_CONF);
	tu_write_file(root, "etc/hostname", "pve\n");
	ck_assert_int_eq(fixture_build(root, all), 0);
	vm(100, VM100_SEED000);
	ck_assert_int_eq(REAL_HOOK("100", "pre-start"), 1);
	ck_assert_str_eq(err, "igd-regroup: The IOMMU is off: no IOMMU groups: add intel_iommu=on iommu=pt to "
			      "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, run update-grub and reboot. "
			      "Nothing was changed.\n");
	drv = driver_of("0000:00:1f.3");
	ck_assert_str_eq(drv, "snd_hda_intel");
}
END_TEST

START_TEST(pre_start_missing_device)
{
	vm(100, "hostpci0: 0000:00:1f.2\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: hostpci0: 0000:00:1f.2 is not present on this host.\n");
}
END_TEST

START_TEST(pre_start_missing_vm_config)
{
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "100.conf");
}
END_TEST

START_TEST(pre_start_warnings)
{
	/* seeds/000's first config: legacy-igd without the LPC bridge; romfile absent */
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:02,legacy-igd=1,romfile=igpu-uhd630.rom\nhostpci1: 0000:00:1f.3\n"
		"machine: pc-q35-9.2+pve1\nvga: virtio,memory=64\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 but 0000:00:1f.0 (the LPC bridge) is not "
			"passed to the VM: QEMU will fail with \"IGD device ... does not support LPC bridge access, "
			"legacy mode disabled\". Add hostpciN: 0000:00:1f.0.\n");
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 on machine pc-q35-9.2+pve1: legacy IGD "
			"mode needs an i440fx machine (machine: pc-i440fx-...).\n");
	assert_has(err, "igd-regroup: warning: hostpci0 has legacy-igd=1 but vga is virtio: legacy IGD mode needs vga: none.\n");
	assert_has(err, "igd-regroup: warning: hostpci0: romfile igpu-uhd630.rom is not in /usr/share/kvm/: QEMU will not find it.\n");
}
END_TEST

START_TEST(pre_start_no_warning_for_a_good_setup)
{
	use_topology("hp-elitedesk-800-g4-split");
	tu_write_file(root, "usr/share/kvm/vbios_gvt_uefi.rom", "rom");
	/* seeds/002: the i440fx example, which passes no 1f.0: only that warning */
	vm(100, "hostpci0: 0000:00:02,legacy-igd=1,romfile=vbios_gvt_uefi.rom\nmachine: pc-i440fx-7.2\nvga: none\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	assert_has(err, "legacy-igd=1 but 0000:00:1f.0 (the LPC bridge) is not passed");
	assert_lacks(err, "i440fx machine");
	assert_lacks(err, "vga: none");
	assert_lacks(err, "romfile");
}
END_TEST

/* ---- the reset ---- */

static char *group_of(const char *addr)
{
	_cleanup_(freep) char *rel = NULL, *p = NULL;
	char buf[256];
	ssize_t n;

	ck_assert_int_ge(asprintf(&rel, "sys/bus/pci/devices/%s/iommu_group", addr), 0);
	p = tu_path(root, rel);
	n = readlink(p, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return strdup(buf);
}

START_TEST(post_stop_resets)
{
	_cleanup_(freep) char *nic_group = group_of("0000:00:1f.6"), *nic_after = NULL;
	_cleanup_(freep) char *record = tu_path(root, "run/igd-regroup/cycled-nics");

	_cleanup_(freep) char *lpc_group = NULL, *lpc_after = NULL;

	/*
	 * After the boot split, the seed's VM 100 passes 02.0, 1f.0 and 1f.3: of
	 * the [regroup] functions it passes, 1f.3 is reset; 1f.0 is not, since
	 * its header has the multi-function bit and 1f.4..1f.6 stay: found again
	 * alone it would join their group (the kernel's alias search).
	 */
	ck_assert_int_eq(run_prog("test/igd-regroup-sim", NULL, (const char *const[]){ "apply", NULL }), 0);
	/* the split by hand cycled the NIC: its record is the notifier's, gone once it ran */
	ck_assert_int_eq(unlink(record), 0);
	free(nic_group);
	nic_group = group_of("0000:00:1f.6");
	lpc_group = group_of("0000:00:1f.0");
	vm(100, VM100_SEED000);
	EXPECT_HOOK(0, "100", "post-stop");
	assert_has(out, "igd-regroup: 0000:00:1f.0 is not reset: it is a multi-function device (header "
			"type 0x80) and 0000:00:1f.4 of its slot stays, so found again alone it would "
			"join that function's IOMMU group.");
	assert_has(out, "igd-regroup: VM 100 post-stop: resetting 1 function(s).\n");
	assert_lacks(out, "Removed 0000:00:1f.0");
	assert_has(out, "igd-regroup: Removed 0000:00:1f.3.\n");
	assert_has(out, "igd-regroup: 0000:00:1f.3: group 8 -> 8\n");
	lpc_after = group_of("0000:00:1f.0");
	ck_assert_str_eq(lpc_after, lpc_group);
	/* the rescan attached 1f.3 to its host driver: said, at notice level */
	assert_has(out, "igd-regroup: 0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n");
	_cleanup_(freep) char *drv = driver_of("0000:00:1f.3");
	ck_assert_str_eq(drv, "vfio-pci");
	/* the host network is left alone: 1f.6 never removed, no record, no notifier */
	assert_lacks(out, "Removed 0000:00:1f.6");
	assert_lacks(out, "Removed 0000:00:1f.4");
	assert_lacks(out, "Removed 0000:00:1f.5");
	assert_lacks(out, "netnotify");
	assert_lacks(err, "netnotify");
	ck_assert_int_ne(access(record, F_OK), 0);
	nic_after = group_of("0000:00:1f.6");
	ck_assert_str_eq(nic_after, nic_group);
	drv = (free(drv), driver_of("0000:00:1f.6"));
	ck_assert_str_eq(drv, "e1000e");
}
END_TEST

START_TEST(post_stop_vm_without_regroup_functions)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	vm(100, "hostpci0: 0000:00:02.0,pcie=1,x-vga=1\nmachine: q35\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(REAL_HOOK("100", "post-stop"), 0);
	ck_assert_str_eq(out, "igd-regroup: VM 100 passes no [regroup] function: nothing to reset.\n");
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
}
END_TEST

START_TEST(post_stop_only_a_multifunction_function_resets_nothing)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	/* after the split, a VM passing 02.0 and the LPC bridge 1f.0 only: 1f.0 stays out */
	ck_assert_int_eq(run_prog("test/igd-regroup-sim", NULL, (const char *const[]){ "apply", NULL }), 0);
	vm(100, "hostpci0: 0000:00:02.0\nhostpci1: 0000:00:1f.0\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(REAL_HOOK("100", "post-stop"), 0);
	assert_has(out, "igd-regroup: 0000:00:1f.0 is not reset: it is a multi-function device");
	assert_has(out, "igd-regroup: VM 100: nothing else to reset.\n");
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
}
END_TEST

START_TEST(post_stop_explicit_reset_functions_win)
{
	tu_write_file(root, "igd-regroup.conf",
		      "[regroup]\nfunctions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"
		      "[vfio]\ndevices = 0000:00:1f.3\n[hook]\nreset_functions = 0000:00:1f.3\n");
	vm(100, "hostpci0: 0000:00:02.0\n");
	EXPECT_HOOK(0, "100", "post-stop");
	assert_has(out, "igd-regroup: VM 100 post-stop: resetting 1 function(s).\n");
	assert_has(out, "igd-regroup: Removed 0000:00:1f.3.\n");
	assert_lacks(out, "Removed 0000:00:1f.0");
}
END_TEST

START_TEST(post_stop_whole_slot_resets_its_regroup_functions)
{
	/* the VM took slot 1f (the N100's config): its [regroup] functions, the NIC included, in order */
	vm(100, "hostpci0: 0000:00:02,pcie=1,x-vga=1\nhostpci1: 0000:00:1f,pcie=1\nmachine: q35\n");
	tu_write_file(root, "igd-regroup.conf",
		      "[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.0 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n[hook]\n");
	EXPECT_HOOK(0, "100", "post-stop");
	/* the whole slot goes: 1f.0 (multi-function) is reset too, nothing of its slot stays */
	assert_has(out, "igd-regroup: VM 100 post-stop: resetting 5 function(s).\nigd-regroup: Removed "
			"0000:00:1f.3.\nigd-regroup: Removed 0000:00:1f.0.\n");
}
END_TEST

START_TEST(reset_functions_and_pre_stop)
{
	tu_write_file(root, "igd-regroup.conf",
		      "[regroup]\nfunctions = 0000:00:1f.0 0000:00:1f.3\n[vfio]\ndevices = 0000:00:1f.3\n"
		      "[hook]\nreset_phase = pre-stop\nreset_functions = 0000:00:1f.3\n");
	ck_assert_int_eq(HOOK("100", "post-stop"), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(HOOK("100", "pre-stop"), 0);
	assert_has(out, "igd-regroup: VM 100 pre-stop: resetting 1 function(s).\n");
}
END_TEST

START_TEST(reset_fault_fails_but_rescans)
{
	vm(100, "hostpci0: 0000:00:1f.0\nhostpci1: 0000:00:1f.3\nhostpci2: 0000:00:1f.4\n");
	ck_assert_int_eq(HOOK_FAULTS("remove@0000:00:1f.4=EIO", "100", "post-stop"), 1);
	assert_has(err, "igd-regroup: Cannot remove 0000:00:1f.4: Input/output error\n");
	for (const char *const *a = (const char *const[]){ "0000:00:1f.0", "0000:00:1f.3", "0000:00:1f.4", NULL }; *a; a++) {
		_cleanup_(freep) char *rel = NULL, *p = NULL;
		ck_assert_int_ge(asprintf(&rel, "sys/bus/pci/devices/%s", *a), 0);
		p = tu_path(root, rel);
		ck_assert_msg(access(p, F_OK) == 0, "%s missing", *a);
	}
}
END_TEST

START_TEST(reset_brings_back_a_missing_function)
{
	_cleanup_(freep) char *p = tu_path(root, "sys/bus/pci/devices/0000:00:1f.3");

	vm(100, VM100_SEED000);
	/* short: the faulty run waits this long for 1f.3, which never comes back */
	tu_write_file(root, "igd-regroup.conf",
		      "[regroup]\nfunctions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"
		      "timeout_ms = 300\n[vfio]\ndevices = 0000:00:1f.3\n");
	/* a reset that died with 1f.3 removed: the next one still counts it, and rescans first */
	ck_assert_int_eq(HOOK_FAULTS("gone@0000:00:1f.3", "100", "post-stop"), 1);
	ck_assert_int_ne(access(p, F_OK), 0);
	EXPECT_HOOK(0, "100", "post-stop");
	assert_has(err, "igd-regroup: warning: VM 100: resetting every [regroup] function its hostpci entries name.\n");
	/* 1f.0 and 1f.3 named; 1f.0 stays out (multi-function, its slot's 1f.4..1f.6 stay) */
	assert_has(out, "igd-regroup: VM 100 post-stop: resetting 1 function(s).\n");
	ck_assert_int_eq(access(p, F_OK), 0);
}
END_TEST

START_TEST(reset_skipped_when_another_vm_holds)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	use_topology("hp-elitedesk-800-g4-split");
	vm(100, VM100_SEED000);
	tu_write_file(root, "dev/vfio/8", "");
	tu_symlink(root, "proc/5151/fd/40", "/dev/vfio/8");
	tu_write_file(root, "run/qemu-server/101.pid", "5151\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(HOOK("100", "post-stop"), 0);
	after = tu_tree_digest(root);
	assert_has(err, "igd-regroup: Refusing to remove 0000:00:1f.3: it is bound to vfio-pci and held by a running VM (VM 101, pid 5151).");
	assert_has(err, "igd-regroup: warning: Reset skipped: a running VM holds one of the functions");
	/* nothing but the lock file changed */
	assert_has(after, "F /run/igd-regroup/lock");
}
END_TEST

/* ---- odd files in the host's place: refused or warned about at once, never a hang ---- */

static void fifo(const char *rel)
{
	_cleanup_(freep) char *p = tu_path(root, rel);

	tu_rm_rf(p);
	tu_mkdir_p(root, rel);
	ck_assert_int_eq(rmdir(p), 0);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
}

START_TEST(fifo_as_the_vm_config)
{
	fifo("etc/pve/qemu-server/100.conf");
	/* no writer ever comes: a blocking open would hang until Check's timeout */
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: VM 100: cannot open ");
	assert_has(err, "/etc/pve/qemu-server/100.conf: not a regular file (a FIFO, a device or a socket)\n");
}
END_TEST

START_TEST(symlink_as_the_vm_config)
{
	tu_write_file(root, "elsewhere.conf", VM100_SEED000);
	tu_symlink(root, "etc/pve/qemu-server/100.conf", "../../../elsewhere.conf");
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "/etc/pve/qemu-server/100.conf: a symbolic link, which is not followed here\n");
}
END_TEST

START_TEST(fifo_as_pci_cfg)
{
	fifo("etc/pve/mapping/pci.cfg");
	vm(100, "hostpci0: mapping=hd-audio\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: mapping 'hd-audio': cannot open ");
	assert_has(err, "/etc/pve/mapping/pci.cfg: not a regular file (a FIFO, a device or a socket)\n");
}
END_TEST

/* A FIFO as qemu-server's PID file is skipped at once: the holder is named by its pid alone. */
START_TEST(fifo_as_a_qemu_pid_file)
{
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, VM100_SEED000);
	tu_write_file(root, "dev/vfio/8", "");
	tu_symlink(root, "proc/5151/fd/40", "/dev/vfio/8");
	fifo("run/qemu-server/101.pid");
	ck_assert_int_eq(HOOK("100", "post-stop"), 0);
	assert_has(err, "igd-regroup: Refusing to remove 0000:00:1f.3: it is bound to vfio-pci and held by a running VM "
			"(pid 5151). Nothing was changed.\n");
}
END_TEST

START_TEST(fifo_as_etc_hostname)
{
	fifo("etc/hostname");
	tu_write_file(root, "etc/pve/mapping/pci.cfg",
		      "hd-audio\n"
		      "\tmap id=8086:a348,iommugroup=7,node=pve,path=0000:00:1f.3,subsystem-id=103c:83e2\n");
	vm(100, "hostpci0: mapping=hd-audio\n");
	/* this machine's node name is not "pve" (or it is: then the check itself refuses) */
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: warning: Cannot read ");
	assert_has(err, "/etc/hostname (not a regular file (a FIFO, a device or a socket)), using uname's node name\n");
}
END_TEST

/* ---- chain ---- */

static void chain_script(int status)
{
	_cleanup_(freep) char *text = NULL, *log = tu_path(root, "chain.log");

	ck_assert_int_ge(asprintf(&text, "#!/bin/sh\necho \"$@\" >> %s\nexit %d\n", log, status), 0);
	tu_write_file_mode(root, "chain.sh", text, 0755);
	_cleanup_(freep) char *c = NULL, *path = tu_path(root, "chain.sh");
	ck_assert_int_ge(asprintf(&c, HP_CONF "chain = %s\n", path), 0);
	tu_write_file(root, "igd-regroup.conf", c);
}

START_TEST(chain_runs_with_the_same_arguments)
{
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:1f.3\n");
	chain_script(0);
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	ck_assert_int_eq(HOOK("100", "post-start"), 0);
	ck_assert_int_eq(HOOK("101", "post-start"), 0);
	_cleanup_(freep) char *p = tu_path(root, "chain.log");
	_cleanup_(freep) char *log = tu_read_file(p);
	ck_assert_str_eq(log, "100 pre-start\n100 post-start\n101 post-start\n");
}
END_TEST

START_TEST(chain_vetoes_a_start)
{
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:1f.3\n");
	chain_script(3);
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "exited with 3.");
	/* in other phases its status is reported, ours counts */
	ck_assert_int_eq(HOOK("100", "post-start"), 0);
}
END_TEST

START_TEST(chain_not_run_after_our_refusal)
{
	vm(100, VM100_SEED000);
	chain_script(0);
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	_cleanup_(freep) char *p = tu_path(root, "chain.log");
	ck_assert_int_ne(access(p, F_OK), 0);
}
END_TEST

START_TEST(chain_missing)
{
	use_topology("hp-elitedesk-800-g4-split");
	vm(100, "hostpci0: 0000:00:1f.3\n");
	tu_write_file(root, "igd-regroup.conf", HP_CONF "chain = /nonexistent/hook.sh\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 1);
	assert_has(err, "igd-regroup: cannot run the chained hookscript /nonexistent/hook.sh: No such file or directory\n");
}
END_TEST

/* ---- install-hook ---- */

#define STORAGE_CFG                                                                                \
	"dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,snippets\n\n"                \
	"lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\n"          \
	"dir: tank\n\tpath /tank\n\tcontent images\n"

#define IGD(...) run_prog("igd-regroup", NULL, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(install_hook_local)
{
	char target[512];
	_cleanup_(freep) char *link = NULL;
	ssize_t n;

	tu_write_file(root, "etc/pve/storage.cfg", STORAGE_CFG);
	ck_assert_int_eq(IGD("install-hook"), 0);
	assert_has(out, "/var/lib/vz/snippets/igd-regroup-hook -> " IGD_LIBEXECDIR "/igd-regroup-hook\n");
	assert_has(out, "  qm set VMID --hookscript local:snippets/igd-regroup-hook\n");
	link = tu_path(root, "var/lib/vz/snippets/igd-regroup-hook");
	n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, IGD_LIBEXECDIR "/igd-regroup-hook");
	/* again: already there is fine */
	ck_assert_int_eq(IGD("install-hook", "local"), 0);
}
END_TEST

START_TEST(install_hook_errors)
{
	tu_write_file(root, "etc/pve/storage.cfg", STORAGE_CFG);
	ck_assert_int_eq(IGD("install-hook", "local-lvm"), 1);
	assert_has(err, "Storage 'local-lvm' has no directory path");
	ck_assert_int_eq(IGD("install-hook", "nas"), 1);
	assert_has(err, "There is no storage 'nas' in ");
	ck_assert_int_eq(IGD("install-hook", "tank"), 0);
	assert_has(err, "warning: Storage 'tank' does not list 'snippets' in its content types");
	tu_write_file(root, "var/lib/vz/snippets/igd-regroup-hook", "#!/bin/sh\n");
	ck_assert_int_eq(IGD("install-hook"), 1);
	assert_has(err, "already exists and is not a symlink; remove it first.");
	ck_assert_int_eq(IGD("install-hook", "local", "more"), 2);
	/* a FIFO in storage.cfg's place: refused at once */
	fifo("etc/pve/storage.cfg");
	ck_assert_int_eq(IGD("install-hook"), 1);
	assert_has(err, "/etc/pve/storage.cfg: not a regular file (a FIFO, a device or a socket)\n");
}
END_TEST

/* ---- igd-regroup vm VMID: what the hook would do, read-only ---- */

START_TEST(vm_command_before_and_after_the_split)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	vm(100, VM100_SEED000);
	tu_write_file(root, "usr/share/kvm/igpu-uhd630.rom", "rom");
	before = tu_tree_digest(root);
	ck_assert_int_eq(IGD("vm", "100"), 1);
	ck_assert_str_eq(out, "VM 100: machine pc-i440fx-9.2, vga none\n"
			      "hostpci entries:\n"
			      "  hostpci0  0000:00:02 -> 0000:00:02.0\n"
			      "  hostpci1  0000:00:1f.0 -> 0000:00:1f.0\n"
			      "  hostpci2  0000:00:1f.3 -> 0000:00:1f.3\n"
			      "IOMMU groups of the functions taken:\n"
			      "  group 0: 0000:00:02.0 (CoffeeLake-S GT2 [UHD Graphics 630], driver i915); isolated\n"
			      "  group 7: 0000:00:1f.0 (Q370 Chipset LPC/eSPI Controller, driver none), 0000:00:1f.3 "
			      "(Cannon Lake PCH cAVS, driver snd_hda_intel); not isolated from 0000:00:1f.4 (Cannon "
			      "Lake PCH SMBus Controller, driver i801_smbus), 0000:00:1f.5 (Cannon Lake PCH SPI "
			      "Controller, driver intel-spi), 0000:00:1f.6 (Ethernet Connection (7) I219-LM, driver "
			      "e1000e, eno1 in vmbr0)\n"
			      "Pre-start: would refuse the start (1 problem, named in the messages).\n"
			      "Reset at post-stop: 0000:00:1f.3; the host network is not touched.\n");
	/* pre-start's own message */
	assert_has(err, "refusing to start VM 100: 0000:00:1f.0 (Q370 Chipset LPC/eSPI Controller) and "
			"0000:00:1f.3 (Cannon Lake PCH cAVS) share IOMMU group 7 with ");
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);

	other_machine("hp-elitedesk-800-g4-split");
	vm(100, VM100_SEED000);
	tu_write_file(root, "usr/share/kvm/igpu-uhd630.rom", "rom");
	ck_assert_int_eq(IGD("vm", "100"), 1);
	assert_has(out, "  group 7: 0000:00:1f.0 (Q370 Chipset LPC/eSPI Controller, driver none); not isolated from ");
	assert_has(out, "  group 8: 0000:00:1f.3 (Cannon Lake PCH cAVS, driver vfio-pci); isolated\n");
	assert_has(out, "Pre-start: would refuse the start (1 problem, named in the messages).\n");
	/* without the LPC bridge (in its still shared group): accepted */
	vm(100, "hostpci0: 0000:00:02.0,pcie=1,x-vga=1\nhostpci1: 0000:00:1f.3,pcie=1\nmachine: q35\n");
	ck_assert_int_eq(IGD("vm", "100"), 0);
	assert_has(out, "Pre-start: would accept the start and bind to vfio-pci: 0000:00:02.0, 0000:00:1f.3.\n"
			"Reset at post-stop: 0000:00:1f.3; the host network is not touched.\n");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(vm_command_network_mdev_template_usage)
{
	vm(100, "hostpci0: 0000:00:02.0,mdev=i915-GVTg_V5_4\nhostpci1: 0000:00:1f\nmachine: q35\n");
	ck_assert_int_eq(IGD("vm", "100"), 1);
	assert_has(out, "  hostpci0  0000:00:02.0 (mdev=i915-GVTg_V5_4): a mediated device on one of 0000:00:02.0, "
			"which keeps its host driver\n");
	assert_has(out, "  hostpci1  0000:00:1f -> 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n");
	assert_has(out, "Reset at post-stop: 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6; the "
			"host network is touched: eno1 (in vmbr0) goes away with 0000:00:1f.6; "
			"igd-regroup-netnotify brings it back.\n");
	assert_has(err, "takes 0000:00:1f.6 (Ethernet Connection (7) I219-LM), which the host is using");
	/* the mdev parent and driver=keep: listed, not bound */
	vm(100, "hostpci0: 0000:00:02.0,mdev=i915-GVTg_V5_4\nhostpci1: 0000:00:14.2,driver=keep\n");
	tu_write_file(root, "igd-regroup.conf", HP_CONF "reset_phase = none\n");
	ck_assert_int_eq(IGD("vm", "100"), 1); /* 14.2 shares group 3 with the xHCI */
	assert_has(out, "  hostpci1  0000:00:14.2 -> 0000:00:14.2 (driver=keep: not bound)\n");
	assert_has(out, "Reset: none (reset_phase = none).\n");
	assert_has(err, "with driver=keep Proxmox binds nothing");
	/* a template, a VM the hook does not act for, bad usage */
	vm(100, VM100_SEED000 "template: 1\n");
	ck_assert_int_eq(IGD("vm", "100"), 0);
	assert_has(out, "Proxmox starts a template only for a backup, without its PCI devices");
	ck_assert_int_eq(IGD("vm", "101"), 0);
	ck_assert_str_eq(out, "VM 101 is not in [hook] vmids: the hookscript does nothing for it.\n");
	ck_assert_int_eq(IGD("vm"), 2);
	ck_assert_int_eq(IGD("vm", "0100"), 2);
	assert_has(err, "igd-regroup: vm expects a VMID (100..999999999).");
	ck_assert_int_eq(IGD("vm", "100", "101"), 2);
}
END_TEST

static Suite *hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *tc;

	tc = tcase_create("arguments");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, argv_errors_exit_2);
	tcase_add_test(tc, vmid_and_phase_parsers);
	tcase_add_test(tc, unknown_phase_escaped_and_cut);
	tcase_add_test(tc, escape_cut_bounds);
	tcase_add_test(tc, bad_config_exits_2);
	tcase_add_test(tc, vm_not_selected);
	tcase_add_test(tc, fast_phases_do_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("pre-start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pre_start_refused_before_split);
	tcase_add_test(tc, pre_start_passes_after_apply);
	tcase_add_test(tc, pre_start_empty_hostpci_warns);
	tcase_add_test(tc, pre_start_binds_the_vms_vfio_devices);
	tcase_add_test(tc, pre_start_isolation_off);
	tcase_add_test(tc, pre_start_mapping_resolves);
	tcase_add_test(tc, pre_start_slot_means_all_functions);
	tcase_add_test(tc, pre_start_slot_takes_the_hosts_nic);
	tcase_add_test(tc, pre_start_refuses_the_root_disk);
	tcase_add_test(tc, pre_start_refuses_a_disk_another_vm_uses);
	tcase_add_test(tc, pre_start_template);
	tcase_add_test(tc, pre_start_mdev_parent_keeps_its_driver);
	tcase_add_test(tc, pre_start_driver_keep);
	tcase_add_test(tc, pre_start_mapping_used_twice);
	tcase_add_test(tc, pre_start_mapping_made_before_the_split);
	tcase_add_test(tc, pre_start_legacy_igd_rules);
	tcase_add_test(tc, pre_start_missing_device);
	tcase_add_test(tc, pre_start_without_iommu);
	tcase_add_test(tc, pre_start_missing_vm_config);
	tcase_add_test(tc, pre_start_warnings);
	tcase_add_test(tc, pre_start_no_warning_for_a_good_setup);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, post_stop_resets);
	tcase_add_test(tc, post_stop_vm_without_regroup_functions);
	tcase_add_test(tc, post_stop_explicit_reset_functions_win);
	tcase_add_test(tc, post_stop_whole_slot_resets_its_regroup_functions);
	tcase_add_test(tc, reset_functions_and_pre_stop);
	tcase_add_test(tc, reset_fault_fails_but_rescans);
	tcase_add_test(tc, reset_brings_back_a_missing_function);
	tcase_add_test(tc, post_stop_only_a_multifunction_function_resets_nothing);
	tcase_add_test(tc, reset_skipped_when_another_vm_holds);
	suite_add_tcase(s, tc);

	tc = tcase_create("odd files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fifo_as_the_vm_config);
	tcase_add_test(tc, symlink_as_the_vm_config);
	tcase_add_test(tc, fifo_as_pci_cfg);
	tcase_add_test(tc, fifo_as_etc_hostname);
	tcase_add_test(tc, fifo_as_a_qemu_pid_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_runs_with_the_same_arguments);
	tcase_add_test(tc, chain_vetoes_a_start);
	tcase_add_test(tc, chain_not_run_after_our_refusal);
	tcase_add_test(tc, chain_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("vm command");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vm_command_before_and_after_the_split);
	tcase_add_test(tc, vm_command_network_mdev_template_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("install-hook");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, install_hook_local);
	tcase_add_test(tc, install_hook_errors);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(hook_suite)
