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

#include "fixture.h"
#include "hook.h"
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

static void setup(void)
{
	root = tu_mkdtemp();
	conf = tu_path(root, "igd-regroup.conf");
	tu_write_file(root, "igd-regroup.conf", HP_CONF);
	tu_write_file(root, "etc/hostname", "pve\n");
	use_topology("hp-elitedesk-800-g4");
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
	   the group is left to the host, so the start may go on */
	vm(100, "hostpci0: 0000:00:02,pcie=1,x-vga=1\nhostpci1: 0000:00:1f,pcie=1\nmachine: q35\n");
	ck_assert_int_eq(HOOK("100", "pre-start"), 0);
	assert_has(out, "VM 100: 6 passed device(s) checked");
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

START_TEST(post_stop_resets)
{
	vm(100, VM100_SEED000);
	ck_assert_int_eq(HOOK("100", "post-stop"), 0);
	assert_has(out, "igd-regroup: VM 100 post-stop: resetting 5 function(s).\n");
	assert_has(out, "igd-regroup: 0000:00:1f.3: group 7 -> 8\n");
	/* the rescan attached 1f.3 to its host driver: said, at notice level */
	assert_has(out, "igd-regroup: 0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n");
	_cleanup_(freep) char *drv = driver_of("0000:00:1f.3");
	ck_assert_str_eq(drv, "vfio-pci");
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

START_TEST(reset_skipped_when_another_vm_holds)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	use_topology("hp-elitedesk-800-g4-split");
	tu_write_file(root, "dev/vfio/8", "");
	tu_symlink(root, "proc/5151/fd/40", "/dev/vfio/8");
	tu_write_file(root, "run/qemu-server/101.pid", "5151\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(HOOK("100", "post-stop"), 0);
	after = tu_tree_digest(root);
	assert_has(err, "igd-regroup: Refusing to remove 0000:00:1f.3: it is bound to vfio-pci and held by a running VM (VM 101, pid 5151).");
	assert_has(err, "igd-regroup: warning: Reset skipped: a running VM holds one of the functions");
	/* nothing but the lock file changed */
	assert_has(after, "F /run/lock/igd-regroup.lock");
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
	tcase_add_test(tc, bad_config_exits_2);
	tcase_add_test(tc, vm_not_selected);
	tcase_add_test(tc, fast_phases_do_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("pre-start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pre_start_refused_before_split);
	tcase_add_test(tc, pre_start_passes_after_apply);
	tcase_add_test(tc, pre_start_binds_the_vms_vfio_devices);
	tcase_add_test(tc, pre_start_isolation_off);
	tcase_add_test(tc, pre_start_mapping_resolves);
	tcase_add_test(tc, pre_start_slot_means_all_functions);
	tcase_add_test(tc, pre_start_missing_device);
	tcase_add_test(tc, pre_start_missing_vm_config);
	tcase_add_test(tc, pre_start_warnings);
	tcase_add_test(tc, pre_start_no_warning_for_a_good_setup);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, post_stop_resets);
	tcase_add_test(tc, reset_functions_and_pre_stop);
	tcase_add_test(tc, reset_fault_fails_but_rescans);
	tcase_add_test(tc, reset_skipped_when_another_vm_holds);
	suite_add_tcase(s, tc);

	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_runs_with_the_same_arguments);
	tcase_add_test(tc, chain_vetoes_a_start);
	tcase_add_test(tc, chain_not_run_after_our_refusal);
	tcase_add_test(tc, chain_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("install-hook");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, install_hook_local);
	tcase_add_test(tc, install_hook_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hook_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
