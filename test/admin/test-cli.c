/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The igd-regroup program as the admin and the boot unit run it: exit
 * status, stdout and stderr. status/check/--dry-run run the real binary
 * against fixture roots; apply runs the same main and library on the sysfs
 * model (build/test/igd-regroup-sim).
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli.h"
#include "fixture.h"
#include "modtree.h"
#include "testutil.h"

static char *root, *conf, *out, *err;

#define HP_CONF                                                                                    \
	"[regroup]\n"                                                                              \
	"functions = 0000:00:1f.0 0000:00:1f.3 0000:00:1f.4 0000:00:1f.5 0000:00:1f.6\n"           \
	"timeout_ms = 2000\n"                                                                      \
	"[vfio]\n"                                                                                 \
	"devices = 0000:00:02.0 0000:00:1f.0 0000:00:1f.3\n"                                       \
	"[network]\n"                                                                              \
	"units = networking.service netbird.service\n"

static void setup(void)
{
	root = tu_mkdtemp();
	conf = tu_path(root, "igd-regroup.conf");
}

static void teardown(void)
{
	tu_rm_rf(root);
	free(root);
	free(conf);
	free(out);
	free(err);
	root = conf = out = err = NULL;
}

static void write_conf(const char *text)
{
	tu_write_file(root, "igd-regroup.conf", text);
}

/* Runs build/<prog> with args (NULL-terminated) and the given environment; journal: stderr is "the journal". */
static int run_env_j(const char *prog, char *const *env, bool journal, const char *const *args)
{
	_cleanup_(freep) char *path = tu_build_path(prog);
	char *argv[16] = { path };
	size_t n = 1;

	free(out);
	free(err);
	for (; args[n - 1]; n++) {
		ck_assert_uint_lt(n, ELEMENTSOF(argv) - 1);
		argv[n] = (char *)args[n - 1];
	}
	argv[n] = NULL;
	return journal ? tu_run_journal(argv, env, &out, &err) : tu_run(argv, env, &out, &err);
}

static int run_env(const char *prog, char *const *env, const char *const *args)
{
	return run_env_j(prog, env, false, args);
}

/* As systemd runs a unit with StandardError=journal: $JOURNAL_STREAM names stderr. */
#define RUN_J(prog, ...) run_env_j(prog, NULL, true, (const char *const[]){ __VA_ARGS__, NULL })

#define RUN(...) run_env("igd-regroup", NULL, (const char *const[]){ __VA_ARGS__, NULL })

/* extra: one more environment entry (IGD_SIM_ENOMEM=...) or NULL. */
static int run_sim_j(const char *topo_name, const char *faults, const char *extra, bool journal,
		     const char *const *args)
{
	_cleanup_(freep) char *topo = fixture_topo_path(topo_name);
	_cleanup_(freep) char *e_root = NULL, *e_topo = NULL, *e_faults = NULL;

	ck_assert_int_ge(asprintf(&e_root, "IGD_SIM_ROOT=%s", root), 0);
	ck_assert_int_ge(asprintf(&e_topo, "IGD_SIM_TOPO=%s", topo), 0);
	ck_assert_int_ge(asprintf(&e_faults, "IGD_SIM_FAULTS=%s", faults ? faults : ""), 0);
	char *env[] = { e_root, e_topo, e_faults, (char *)extra, NULL };
	return run_env_j("test/igd-regroup-sim", env, journal, args);
}

static int run_sim(const char *topo_name, const char *faults, const char *const *args)
{
	return run_sim_j(topo_name, faults, NULL, false, args);
}

static void assert_has(const char *hay, const char *needle)
{
	ck_assert_msg(hay && strstr(hay, needle), "expected '%s' in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_lacks(const char *hay, const char *needle)
{
	ck_assert_msg(!hay || !strstr(hay, needle), "did not expect '%s' in:\n%s", needle, hay);
}

static void build(const char *name)
{
	ck_assert_int_eq(fixture_build_named(root, name), 0);
}

static void assert_starts(const char *text, const char *start)
{
	ck_assert_msg(text && strncmp(text, start, strlen(start)) == 0, "expected to start with '%s':\n%s", start,
		      text ? text : "(null)");
}

/*
 * The digest's lines of sys/ (each entry, and the first line of its
 * content): where apply writes. Not /run, where it takes its lock. Taken
 * after a status run on the sysfs model, which adds the model's own files
 * (ifindex) when it starts.
 */
static char *digest_of_sys(void)
{
	_cleanup_(freep) char *d = tu_tree_digest(root);
	char *kept = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&kept, &len);

	ck_assert_ptr_nonnull(m);
	for (char *l = d; l && *l;) {
		char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);

		if (strncmp(l + 1, " /sys/", 6) == 0)
			fwrite(l, 1, n, m);
		l += n;
	}
	fclose(m);
	return kept;
}

/* Every line of text starts with a journal priority "<N>". */
static void assert_all_prefixed(const char *text)
{
	ck_assert_msg(text && *text, "no output");
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		ck_assert_msg(l[0] == '<' && l[1] >= '0' && l[1] <= '7' && l[2] == '>',
			      "line without a priority: '%.*s' in:\n%s", (int)strcspn(l, "\n"), l, text);
		ck_assert_ptr_nonnull(strchr(l, '\n'));
	}
}

/* No line of text starts with "<N>": a terminal, a pipe or a file gets plain lines. */
static void assert_none_prefixed(const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		ck_assert_msg(!(l[0] == '<' && l[1] >= '0' && l[1] <= '7' && l[2] == '>'),
			      "line with a priority: '%.*s'", (int)strcspn(l, "\n"), l);
}

/* The HP EliteDesk booted without an IOMMU (no groups), with cmdline as its kernel command line. */
static void build_hp_without_iommu(const char *cmdline)
{
	_cleanup_(freep) char *topo = fixture_topo_path("hp-elitedesk-800-g4");
	_cleanup_(freep) char *text = tu_read_file(topo), *all = NULL;

	ck_assert_int_ge(asprintf(&all, "%s\nnoiommu\ncmdline %s\n", text, cmdline), 0);
	ck_assert_int_eq(fixture_build(root, all), 0);
}

/* ---- usage ---- */

START_TEST(version_and_help)
{
	ck_assert_int_eq(RUN("--version"), 0);
	ck_assert_str_eq(out, "igd-regroup " IGD_VERSION "\n");
	ck_assert_int_eq(RUN("--help"), 0);
	assert_has(out, "Usage: igd-regroup [OPTIONS] COMMAND");
	assert_has(out, "apply --dry-run");
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	ck_assert_int_eq(RUN("--root", "/"), 2);
	assert_has(err, "igd-regroup: no command given.");
	ck_assert_int_eq(RUN("frobnicate"), 2);
	assert_has(err, "igd-regroup: unknown command 'frobnicate'.");
	ck_assert_int_eq(RUN("status", "extra"), 2);
	assert_has(err, "unexpected argument 'extra'");
	ck_assert_int_eq(RUN("--root", "relative/dir", "status"), 2);
	assert_has(err, "--root must be an absolute path, not 'relative/dir'.");
	ck_assert_int_eq(RUN("--dry-run", "status"), 2);
	assert_has(err, "--dry-run only goes with apply.");
	ck_assert_int_eq(RUN("--bogus"), 2);
}
END_TEST

START_TEST(usage_errors_carry_priorities_in_the_journal)
{
	char *other[] = { "JOURNAL_STREAM=0:1", NULL };

	ck_assert_int_eq(RUN_J("igd-regroup", "frobnicate"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup: unknown command 'frobnicate'. Try 'igd-regroup --help'.\n");
	ck_assert_int_eq(RUN_J("igd-regroup", "--bogus", "status"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup: unknown option '--bogus'. Try 'igd-regroup --help'.\n");
	ck_assert_int_eq(RUN_J("igd-regroup", "-x", "status"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup: unknown option '-x'. Try 'igd-regroup --help'.\n");
	ck_assert_int_eq(RUN_J("igd-regroup", "status", "--root"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup: option '--root' needs an argument. Try 'igd-regroup --help'.\n");
	ck_assert_int_eq(RUN_J("igd-regroup", "--root", "relative", "status"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup: --root must be an absolute path, not 'relative'.\n");
	/* the error, then the usage at info: every line of it carries the prefix */
	ck_assert_int_eq(RUN_J("igd-regroup", "--root", "/"), 2);
	assert_starts(err, "<3>igd-regroup: no command given.\n<6>Usage: igd-regroup [OPTIONS] COMMAND\n<6>\n");
	assert_all_prefixed(err);
	ck_assert_str_eq(out, "");

	ck_assert_int_eq(RUN_J("igd-regroup-netnotify", "--bogus"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup-netnotify: unknown option '--bogus'. Try 'igd-regroup-netnotify --help'.\n");
	ck_assert_int_eq(RUN_J("igd-regroup-netnotify", "extra"), 2);
	ck_assert_str_eq(err, "<3>igd-regroup-netnotify: unexpected argument 'extra'. Try 'igd-regroup-netnotify --help'.\n");

	ck_assert_int_eq(RUN_J("igd-regroup-hook", "100"), 2);
	assert_starts(err, "<3>igd-regroup: expected a VMID (100..999999999) and a phase.\n<6>Usage: igd-regroup-hook VMID PHASE\n");
	assert_all_prefixed(err);
	ck_assert_int_eq(RUN_J("igd-regroup-hook", "100", "bogus"), 2);
	assert_starts(err, "<3>igd-regroup: unknown phase ");
	assert_all_prefixed(err);

	/* a terminal, a pipe, a file: plain lines, as before */
	ck_assert_int_eq(RUN("--bogus", "status"), 2);
	ck_assert_str_eq(err, "igd-regroup: unknown option '--bogus'. Try 'igd-regroup --help'.\n");
	ck_assert_int_eq(run_env("igd-regroup-hook", NULL, (const char *const[]){ "100", NULL }), 2);
	assert_none_prefixed(err);
	assert_has(err, "igd-regroup: expected a VMID");
	/* $JOURNAL_STREAM naming another stream (inherited from a unit by a program writing to a pipe) */
	ck_assert_int_eq(run_env("igd-regroup", other, (const char *const[]){ "frobnicate", NULL }), 2);
	ck_assert_str_eq(err, "igd-regroup: unknown command 'frobnicate'. Try 'igd-regroup --help'.\n");
}
END_TEST

START_TEST(bad_config_exits_2_with_path_line)
{
	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:1f.3/remove\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply"), 2);
	ck_assert_msg(strncmp(err, conf, strlen(conf)) == 0 && strncmp(err + strlen(conf), ":2: ", 4) == 0,
		      "stderr should start with %s:2: but is:\n%s", conf, err);
	ck_assert_str_eq(out, "");
	/* check shows the failed config as a FAIL line and still exits 2 */
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 2);
	assert_has(out, "FAIL config");
	assert_has(out, "ok   iommu");
}
END_TEST

START_TEST(environment_variables)
{
	_cleanup_(freep) char *e_root = NULL, *e_conf = NULL;

	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_ge(asprintf(&e_root, "IGD_REGROUP_ROOT=%s", root), 0);
	ck_assert_int_ge(asprintf(&e_conf, "IGD_REGROUP_CONFIG=%s", conf), 0);
	char *env[] = { e_root, e_conf, NULL };
	ck_assert_int_eq(run_env("igd-regroup", env, (const char *const[]){ "status", NULL }), 0);
	assert_has(out, "RV 0000:00:1f.3 Audio device: [8086:a348]");
}
END_TEST

/* ---- status ---- */

START_TEST(status_hp)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "status"), 0);
	assert_has(out, "14 PCI devices in 8 IOMMU groups.");
	assert_has(out, "Group 7  shared by 5 devices\n");
	/* the LPC bridge has the multi-function bit, as function 0 of the PCH slot */
	assert_has(out, "  RV 0000:00:1f.0 ISA bridge: [8086:a306] Intel Corporation Q370 Chipset LPC/eSPI Controller  driver none  multi-function\n");
	assert_has(out, "  RV 0000:00:1f.3 Audio device: [8086:a348] Intel Corporation Cannon Lake PCH cAVS  driver snd_hda_intel\n");
	assert_has(out, "  R  0000:00:1f.6 Ethernet controller: [8086:15bb] Intel Corporation Ethernet Connection (7) I219-LM  driver e1000e  net eno1 (up, in vmbr0)\n");
	assert_has(out, "   V 0000:00:02.0 VGA compatible controller: [8086:3e92]");
	assert_has(out, "disk sda3 (LVM pve, /, swap)");
	assert_lacks(out, "\033[");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(status_split_hp)
{
	build("hp-elitedesk-800-g4-split");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "status"), 0);
	assert_has(out, "Group 7  shared by 4 devices\n");
	assert_has(out, "Group 8\n  RV 0000:00:1f.3 Audio device: [8086:a348] Intel Corporation Cannon Lake PCH cAVS  driver vfio-pci\n");
}
END_TEST

START_TEST(status_without_iommu)
{
	build("hp-elitedesk-800-g4");
	tu_rm_rf(root);
	tu_mkdir_p(root, "");
	ck_assert_int_eq(fixture_build(root, "noiommu\ndevice 0000:00:1f.3 8086:a348 class=040300 driver=snd_hda_intel\n"), 0);
	ck_assert_int_eq(RUN("--root", root, "--config", "/nonexistent.conf", "status"), 2);
	/* without --config, a missing default config is only a note */
	ck_assert_int_eq(RUN("--root", root, "status"), 0);
	assert_has(out, "No IOMMU groups: the IOMMU is off or absent");
	assert_has(out, "No IOMMU group\n");
	assert_has(out, "0000:00:1f.3 Audio device: [8086:a348]");
	/* the note is a notice: in the journal, filed as one */
	ck_assert_int_eq(RUN_J("igd-regroup", "--root", root, "status"), 0);
	assert_starts(err, "<5>note: no config at ");
	assert_all_prefixed(err);
}
END_TEST

START_TEST(status_shows_device_classes)
{
	/* pci.ids names the subclass, only the base class (libpci adds the code), or neither */
	ck_assert_int_eq(fixture_build(root, "vendor 8086 Intel Corporation\n"
					     "name 8086:a348 Cannon Lake PCH cAVS\n"
					     "name 8086:15bb Ethernet Connection (7) I219-LM\n"
					     "device 0000:00:1f.3 8086:a348 class=040300 group=7 driver=snd_hda_intel\n"
					     "device 0000:00:1f.6 8086:15bb class=020000 group=7 driver=e1000e\n"
					     "device 0000:00:1f.7 8086:a348 class=04ee00 group=8\n"
					     "device 0000:00:1f.5 8086:a348 class=130000 group=9\n"),
			 0);
	ck_assert_int_eq(RUN("--root", root, "status"), 0);
	assert_has(out, "     0000:00:1f.3 Audio device: [8086:a348] Intel Corporation Cannon Lake PCH cAVS  driver snd_hda_intel\n");
	assert_has(out, "     0000:00:1f.6 Ethernet controller: [8086:15bb] Intel Corporation Ethernet Connection (7) I219-LM  driver e1000e\n");
	assert_has(out, "     0000:00:1f.7 Multimedia controller [04ee]: [8086:a348]");
	assert_has(out, "     0000:00:1f.5 Class 1300: [8086:a348]");
}
END_TEST

START_TEST(status_real_host_read_only)
{
	/* this machine's own /sys, read-only: whatever it has, it is listed */
	ck_assert_int_eq(RUN("--config", "/nonexistent/igd-regroup.conf", "--root", "/", "status"), 2);
	ck_assert_int_eq(RUN("--root", "/", "status"), 0);
	ck_assert_msg(strstr(out, "PCI devices in") || strstr(out, "No IOMMU groups"), "%s", out);
	assert_has(out, " [");
}
END_TEST

/* ---- check ---- */

START_TEST(check_hp_before_split)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   config    ");
	assert_has(out, "ok   iommu     IOMMU groups present (intel_iommu=on on the kernel command line)\n");
	assert_has(out, "ok   vfio-pci  the vfio-pci driver is loaded\n");
	assert_has(out, "ok   functions all 5 present\n");
	assert_has(out, "ok   vfio      all 3 present\n");
	assert_has(out, "WARN group     0000:00:1f.3 still shares IOMMU group 7 with 0000:00:1f.0 (no driver), "
			"0000:00:1f.4 (i801_smbus), 0000:00:1f.5 (intel-spi), 0000:00:1f.6 (e1000e): "
			"run igd-regroup apply");
}
END_TEST

START_TEST(check_failures)
{
	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:1f.2 0000:00:1f.3\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 1);
	assert_has(out, "FAIL functions 0000:00:1f.2 is not present\n");
	assert_lacks(out, "0000:00:1f.3 is not present");
}
END_TEST

START_TEST(check_warns_unlisted_slot_sibling)
{
	/* the Esprimo has a PMC at 1f.2: left out, it stays behind with the LPC */
	build("esprimo-q957");
	write_conf("[regroup]\nfunctions = 00:1f.0 00:1f.3 00:1f.4 00:1f.5 00:1f.6\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "WARN slot      0000:00:1f.2 (");
	assert_has(out, "is in the slot of the [regroup] functions but not listed");
	write_conf("[regroup]\nfunctions = 00:1f.0 00:1f.2 00:1f.3 00:1f.4 00:1f.5 00:1f.6\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_lacks(out, "WARN slot");
}
END_TEST

START_TEST(check_no_iommu_no_vfio)
{
	ck_assert_int_eq(fixture_build(root, "noiommu\ncmdline quiet\ndevice 0000:00:1f.3 8086:a348\n"), 0);
	write_conf("[vfio]\ndevices = 0000:00:1f.3\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 1);
	assert_has(out, "FAIL iommu     no IOMMU groups: add intel_iommu=on iommu=pt");
	assert_has(out, "FAIL vfio-pci  the vfio-pci driver is not loaded");
}
END_TEST

/* The HP with its kernel's module aliases (fixtures/hp-elitedesk-800-g4.modules.alias). */
static void build_hp_modules(void)
{
	_cleanup_(freep) char *topo = fixture_topo_path("hp-elitedesk-800-g4");
	_cleanup_(freep) char *aliases_path = NULL, *aliases = NULL;

	ck_assert_int_ge(asprintf(&aliases_path, "%.*s.modules.alias", (int)(strlen(topo) - strlen(".topo")), topo), 0);
	aliases = tu_read_file(aliases_path);
	build("hp-elitedesk-800-g4");
	ck_assert_int_eq(modtree_build(root, "6.8.12-11-pve", aliases), 0);
}

START_TEST(check_drivers_nothing_keeps_them_off)
{
	build_hp_modules();
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "WARN driver    0000:00:02.0 (8086:3e92): i915 claims it and nothing keeps it off: it takes "
			"the device at boot and at every rescan until igd-regroup moves it\n");
	assert_has(out, "ok   driver    0000:00:1f.0 (8086:a306): no host driver module claims it\n");
	assert_has(out, "WARN driver    0000:00:1f.3 (8086:a348): snd_hda_intel claims it and nothing keeps it off; "
			"snd_sof_pci_intel_cnl claims it and nothing keeps it off: each takes the device at boot "
			"and at every rescan until igd-regroup moves it\n");
	/* the exact lines, once for all devices, at the end */
	assert_has(out, "WARN modprobe  to keep i915, snd_hda_intel, snd_sof_pci_intel_cnl off, put in "
			"/etc/modprobe.d/igd-regroup.conf (replacing any other options vfio-pci ids= line: "
			"the last one wins):\n"
			"                 options vfio-pci ids=8086:3e92,8086:a348\n"
			"                 softdep i915 pre: vfio-pci\n"
			"                 softdep snd_hda_intel pre: vfio-pci\n"
			"                 softdep snd_sof_pci_intel_cnl pre: vfio-pci\n"
			"               then run update-initramfs -u: the initramfs carries its own copy of "
			"modprobe.d, and igd-regroup cannot tell whether it loads i915, snd_hda_intel, "
			"snd_sof_pci_intel_cnl\n");
	/* the other checks keep their lines */
	assert_has(out, "ok   vfio      all 3 present\n");
	assert_has(out, "WARN group     0000:00:1f.3 still shares IOMMU group 7 with");
}
END_TEST

START_TEST(check_drivers_blacklisted)
{
	build_hp_modules();
	write_conf(HP_CONF);
	tu_write_file(root, "etc/modprobe.d/pve-blacklist.conf", "blacklist i915\nblacklist snd_hda_intel\n");
	tu_write_file(root, "proc/cmdline", "quiet intel_iommu=on modprobe.blacklist=snd_sof_pci_intel_cnl\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   driver    0000:00:02.0 (8086:3e92): i915 is kept off (blacklist i915 in modprobe.d)\n");
	assert_has(out, "ok   driver    0000:00:1f.3 (8086:a348): snd_hda_intel is kept off (blacklist snd_hda_intel "
			"in modprobe.d); snd_sof_pci_intel_cnl is kept off (modprobe.blacklist=snd_sof_pci_intel_cnl "
			"on the kernel command line)\n");
	assert_lacks(out, "WARN driver");
	assert_lacks(out, "modprobe ");
}
END_TEST

START_TEST(check_drivers_ids_and_softdep)
{
	build_hp_modules();
	write_conf(HP_CONF);
	tu_write_file(root, "etc/modprobe.d/igd-regroup.conf",
		      "options vfio-pci ids=8086:3e92,8086:a348\n"
		      "softdep i915 pre: vfio-pci\n"
		      "softdep snd_hda_intel pre: vfio-pci\n"
		      "softdep snd_sof_pci_intel_cnl pre: vfio-pci\n");
	tu_write_file(root, "etc/initramfs-tools/modules", "vfio_pci\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   driver    0000:00:02.0 (8086:3e92): i915 is kept off (vfio-pci ids=8086:3e92, "
			"softdep i915 pre: vfio-pci)\n");
	assert_has(out, "ok   driver    0000:00:1f.3 (8086:a348): snd_hda_intel is kept off (vfio-pci ids=8086:a348, "
			"softdep snd_hda_intel pre: vfio-pci); snd_sof_pci_intel_cnl is kept off (vfio-pci "
			"ids=8086:a348, softdep snd_sof_pci_intel_cnl pre: vfio-pci)\n");
	assert_lacks(out, "WARN driver");
	assert_lacks(out, "modprobe ");
}
END_TEST

START_TEST(check_drivers_ids_without_softdep)
{
	build_hp_modules();
	write_conf(HP_CONF);
	tu_write_file(root, "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b80,8086:a348\n"
							 "softdep snd_sof_pci_intel_cnl pre: vfio-pci\n");
	tu_write_file(root, "etc/initramfs-tools/modules", "# modules for the initramfs\nsnd-hda-intel\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "WARN driver    0000:00:1f.3 (8086:a348): snd_hda_intel claims it and may load before "
			"vfio-pci: vfio-pci ids=8086:a348 but no softdep snd_hda_intel pre: vfio-pci: it takes "
			"the device at boot and at every rescan until igd-regroup moves it\n");
	/* the ids line keeps the ids vfio-pci has, the last ids= wins */
	assert_has(out, "WARN modprobe  to keep i915, snd_hda_intel off, put in /etc/modprobe.d/igd-regroup.conf "
			"(replacing any other options vfio-pci ids= line: the last one wins):\n"
			"                 options vfio-pci ids=10de:1b80,8086:a348,8086:3e92\n"
			"                 softdep i915 pre: vfio-pci\n"
			"                 softdep snd_hda_intel pre: vfio-pci\n"
			"               then run update-initramfs -u: snd_hda_intel is in /etc/initramfs-tools/modules: "
			"the initramfs loads it with its own copy of modprobe.d\n");
}
END_TEST

START_TEST(check_drivers_command_line_ids_win)
{
	build_hp_modules();
	write_conf(HP_CONF);
	tu_write_file(root, "etc/modprobe.d/igd-regroup.conf",
		      "options vfio-pci ids=8086:3e92,8086:a348\n"
		      "softdep i915 pre: vfio-pci\n"
		      "softdep snd_hda_intel pre: vfio-pci\n"
		      "softdep snd_sof_pci_intel_cnl pre: vfio-pci\n");
	tu_write_file(root, "proc/cmdline", "quiet intel_iommu=on vfio-pci.ids=8086:3e92\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   driver    0000:00:02.0 (8086:3e92): i915 is kept off (vfio-pci.ids=8086:3e92 on the "
			"kernel command line, softdep i915 pre: vfio-pci)\n");
	assert_has(out, "WARN driver    0000:00:1f.3 (8086:a348): snd_hda_intel claims it and is not kept off: "
			"softdep snd_hda_intel pre: vfio-pci but vfio-pci does not have 8086:a348 in its ids=; ");
	assert_has(out, "WARN modprobe  to keep snd_hda_intel, snd_sof_pci_intel_cnl off, make vfio-pci.ids= on "
			"the kernel command line vfio-pci.ids=8086:3e92,8086:a348 (it wins over modprobe.d; then "
			"update-grub, or proxmox-boot-tool refresh, and reboot)\n");
	/* with a softdep missing as well: the modprobe.d lines, and the command line */
	tu_write_file(root, "etc/modprobe.d/igd-regroup.conf", "options vfio-pci ids=8086:3e92,8086:a348\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "WARN modprobe  to keep i915, snd_hda_intel, snd_sof_pci_intel_cnl off, put in "
			"/etc/modprobe.d/igd-regroup.conf:\n"
			"                 softdep i915 pre: vfio-pci\n"
			"                 softdep snd_hda_intel pre: vfio-pci\n"
			"                 softdep snd_sof_pci_intel_cnl pre: vfio-pci\n"
			"               and make vfio-pci.ids= on the kernel command line, which wins over "
			"modprobe.d, vfio-pci.ids=8086:3e92,8086:a348\n"
			"               then run update-initramfs -u:");
}
END_TEST

START_TEST(check_drivers_module_once_for_several_devices)
{
	_cleanup_(freep) char *topo = fixture_topo_path("hp-elitedesk-800-g4");
	_cleanup_(freep) char *aliases_path = NULL, *aliases = NULL;

	/* two HD audio functions: snd_hda_intel claims both (by id, and by class) */
	ck_assert_int_eq(fixture_build(root, "cmdline quiet intel_iommu=on\nmodule vfio_pci\n"
					     "device 0000:00:1f.3 8086:a348 class=040300 group=7 driver=snd_hda_intel\n"
					     "device 0000:00:0e.0 8086:9dc8 class=040300 group=8 driver=snd_hda_intel\n"),
			 0);
	ck_assert_int_ge(asprintf(&aliases_path, "%.*s.modules.alias", (int)(strlen(topo) - strlen(".topo")), topo), 0);
	aliases = tu_read_file(aliases_path);
	ck_assert_int_eq(modtree_build(root, "6.8.12-11-pve", aliases), 0);
	write_conf("[vfio]\ndevices = 0000:00:1f.3 0000:00:0e.0\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "WARN driver    0000:00:0e.0 (8086:9dc8): snd_hda_intel claims it and nothing keeps it off: it "
			"takes the device at boot and at every rescan until igd-regroup moves it\n");
	assert_has(out, "WARN modprobe  to keep snd_hda_intel, snd_sof_pci_intel_cnl off, put in "
			"/etc/modprobe.d/igd-regroup.conf (replacing any other options vfio-pci ids= line: "
			"the last one wins):\n"
			"                 options vfio-pci ids=8086:a348,8086:9dc8\n"
			"                 softdep snd_hda_intel pre: vfio-pci\n"
			"                 softdep snd_sof_pci_intel_cnl pre: vfio-pci\n"
			"               then run update-initramfs -u:");
}
END_TEST

START_TEST(check_drivers_without_modules)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   driver    host drivers of the [vfio] devices not checked: no kernel modules in "
			"/lib/modules\n");
	tu_write_file(root, "proc/sys/kernel/osrelease", "6.8.12-11-pve\n");
	tu_mkdir_p(root, "lib/modules/6.8.12-11-pve");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_has(out, "ok   driver    host drivers of the [vfio] devices not checked: no "
			"/lib/modules/6.8.12-11-pve/modules.alias.bin\n");
	/* nothing to check without [vfio] devices */
	write_conf("[regroup]\nfunctions = 0000:00:1f.3\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 0);
	assert_lacks(out, "ok   driver");
	assert_lacks(out, "WARN driver");
}
END_TEST

/* ---- apply --dry-run ---- */

START_TEST(dry_run_hp_writes_nothing)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	before = tu_tree_digest(root);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 0);
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
	assert_has(out, "Dry run: nothing is written.\nRemove, in this order:\n"
			"  1. 0000:00:1f.0 [8086:a306] Q370 Chipset LPC/eSPI Controller  group 7 (5 devices)  driver none\n"
			"  2. 0000:00:1f.3 [8086:a348] Cannon Lake PCH cAVS  group 7 (5 devices)  driver snd_hda_intel\n");
	assert_has(out, "  5. 0000:00:1f.6 [8086:15bb] Ethernet Connection (7) I219-LM  group 7 (5 devices)  driver e1000e\n");
	assert_has(out, "Bind to vfio-pci:\n  0000:00:02.0 [8086:3e92] CoffeeLake-S GT2 [UHD Graphics 630]  (now i915)\n");
	assert_has(out, "  0000:00:1f.3 [8086:a348] Cannon Lake PCH cAVS  (now snd_hda_intel; bound after the rescan)\n");
	assert_has(out, "Host network: eno1 (0000:00:1f.6) in vmbr0 is up and goes away with the removal; "
			"afterwards igd-regroup-netnotify.service brings it back (reload networking.service netbird.service).\n");
	/* the steps apply takes between the rescan and the bind, and the override the bind writes again */
	_cleanup_(freep) char *waits = NULL;
	ck_assert_int_ge(asprintf(&waits,
				  "  0000:00:1f.6 will get a group of its own\n"
				  "Then wait, within the same 2000 ms, for udev to finish with the re-added "
				  "function(s) and name their interfaces.\n"
				  "Before binding, wait up to 2000 ms for udev's event queue to empty "
				  "(%s/run/udev/queue).\nBind to vfio-pci:\n",
				  root),
			 0);
	assert_has(out, waits);
	assert_has(out, "  (now snd_hda_intel; bound after the rescan)\n"
			"The removal clears driver_override: after the rescan, vfio-pci is written to it again "
			"for 0000:00:1f.0, 0000:00:1f.3.\nHost network: ");
}
END_TEST

START_TEST(dry_run_stops_where_apply_stops_for_a_missing_vfio_device)
{
	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:1f.3\n[vfio]\ndevices = 0000:00:02.1\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	/* apply writes nothing here: the dry run shows no removal either */
	ck_assert_str_eq(out, "Dry run: nothing is written.\n"
			      "Stopped: a [vfio] device is not present; nothing would be written.\n"
			      "  0000:00:02.1 missing: not present now\n");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(dry_run_refuses_root_disk)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:17.0\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	after = tu_tree_digest(root);
	tu_assert_same_tree(before, after);
	assert_has(out, "Refused: nothing would be written.\n"
			"  0000:00:17.0 must not be removed: disk sda is used (LVM pve, /, /boot/efi, swap)\n");
}
END_TEST

START_TEST(dry_run_n100_has_no_network_step)
{
	build("n100");
	write_conf("[regroup]\nfunctions = 00:1f.0 00:1f.3 00:1f.4 00:1f.5\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 0);
	assert_has(out, "  4. 0000:00:1f.5 ");
	assert_has(out, "Host network: no configured function has an interface that is up; nothing to bring back.\n");
	/* udev's wait for the re-added functions; no [vfio] device, so no wait for its queue */
	assert_has(out,
		   "  0000:00:1f.5 will get a group of its own\nThen wait, within the same 10000 ms, for udev "
		   "to finish with the re-added function(s) and name their interfaces.\nHost network: ");
	assert_lacks(out, "udev's event queue");
	assert_lacks(out, "driver_override");
}
END_TEST

START_TEST(dry_run_esprimo)
{
	build("esprimo-q957");
	write_conf("[regroup]\nfunctions = 00:1f.0 00:1f.2 00:1f.3 00:1f.4 00:1f.5 00:1f.6\n"
		   "[vfio]\ndevices = 00:02.0 00:1f.3\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 0);
	assert_has(out, "  2. 0000:00:1f.2 ");
	assert_has(out, "  6. 0000:00:1f.6 ");
	assert_has(out, "Host network: eno1 (0000:00:1f.6) in vmbr0 is up");
}
END_TEST

START_TEST(dry_run_nothing_configured)
{
	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions =\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 0);
	assert_has(out, "Nothing to do: [regroup] functions and [vfio] devices are empty in ");
}
END_TEST

#define NO_IOMMU_GRUB                                                                              \
	"The IOMMU is off: no IOMMU groups: add intel_iommu=on iommu=pt to GRUB_CMDLINE_LINUX_DEFAULT " \
	"in /etc/default/grub, run update-grub and reboot. Nothing was changed.\n"

START_TEST(no_iommu_apply_and_dry_run_say_so_first)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	build_hp_without_iommu("BOOT_IMAGE=/boot/vmlinuz-6.8.12-11-pve root=/dev/mapper/pve-root ro quiet");
	write_conf(HP_CONF);
	/* no plan is printed: the one message says what is wrong and the fix */
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, NO_IOMMU_GRUB);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", NULL, (const char *const[]){ "--root", root, "status", NULL }), 0);
	before = digest_of_sys();
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", NULL,
				 (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	after = digest_of_sys();
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, NO_IOMMU_GRUB);
	/* nothing written: the tree is as it was (the lock under /run aside) */
	ck_assert_str_eq(after, before);
	assert_has(after, "/sys/bus/pci/devices/0000:00:1f.6 ->");
	/* under the unit: an error */
	ck_assert_int_eq(RUN_J("igd-regroup", "--root", root, "--config", conf, "apply", "--dry-run"), 1);
	ck_assert_str_eq(err, "<3>" NO_IOMMU_GRUB);
}
END_TEST

START_TEST(no_iommu_fix_for_proxmox_boot_tool)
{
	build_hp_without_iommu("initrd=\\EFI\\proxmox\\6.8.12-11-pve\\initrd.img-6.8.12-11-pve root=ZFS=rpool/ROOT/pve-1 boot=zfs");
	tu_write_file(root, "etc/kernel/proxmox-boot-uuids", "1234-ABCD\n");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "The IOMMU is off: no IOMMU groups: add intel_iommu=on iommu=pt to /etc/kernel/cmdline, "
			      "run proxmox-boot-tool refresh and reboot. Nothing was changed.\n");
	/* check gives the same fix */
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "check"), 1);
	assert_has(out, "FAIL iommu     no IOMMU groups: add intel_iommu=on iommu=pt to /etc/kernel/cmdline, run proxmox-boot-tool refresh and reboot\n");
}
END_TEST

START_TEST(no_iommu_although_on_the_command_line)
{
	build_hp_without_iommu("BOOT_IMAGE=/boot/vmlinuz-6.8.12-11-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on");
	write_conf(HP_CONF);
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	ck_assert_str_eq(err, "The IOMMU is off: intel_iommu=on is on the kernel command line but there are no IOMMU "
			      "groups: enable VT-d in the firmware setup. Nothing was changed.\n");
	/* the kernel reads each intel_iommu=: a later off wins, and the fix is the command line again */
	tu_write_file(root, "proc/cmdline", "root=/dev/sda1 intel_iommu=on iommu=pt intel_iommu=off\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	ck_assert_str_eq(err, NO_IOMMU_GRUB);
	tu_write_file(root, "proc/cmdline", "root=/dev/sda1 intel_iommu=off intel_iommu=on\n");
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "apply", "--dry-run"), 1);
	assert_has(err, "intel_iommu=on is on the kernel command line but there are no IOMMU groups");
}
END_TEST

/* ---- apply on the sysfs model ---- */

START_TEST(apply_hp)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", NULL,
				 (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 0);
	assert_has(out, "0000:00:1f.0: group 7 -> 7 (alone)\n");
	assert_has(out, "0000:00:1f.3: group 7 -> 8 (alone)\n");
	assert_has(out, "0000:00:1f.6: group 7 -> 11 (alone)\n");
	assert_has(out, "0000:00:1f.3: bound to vfio-pci, isolated\n");
	assert_has(out, "Result: ok in ");
	assert_has(err, "Removed 0000:00:1f.6.\n");
	/* the rescan attached 1f.3 to its host driver (registered first): said at notice level */
	assert_has(err, "0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n");
	assert_lacks(err, "autoprobing");
	/* and then status shows the split */
	ck_assert_int_eq(RUN("--root", root, "--config", conf, "status"), 0);
	assert_has(out, "Group 8\n  RV 0000:00:1f.3 Audio device: [8086:a348] Intel Corporation Cannon Lake PCH cAVS  driver vfio-pci\n");
}
END_TEST

/* cli_context's logger with stderr at a file; journal: $JOURNAL_STREAM names that file. */
static char *log_through_cli(bool journal)
{
	_cleanup_(freep) char *path = tu_path(root, "stderr");
	_cleanup_(igd_ctx_freep) struct igd_ctx *ctx = NULL;
	struct cli_common o;
	struct stat st;
	char stream[64];
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (journal)
		ck_assert_int_eq(setenv("JOURNAL_STREAM", stream, 1), 0);
	else
		ck_assert_int_eq(unsetenv("JOURNAL_STREAM"), 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	cli_common_init(&o);
	o.root = root;
	ck_assert_int_eq(cli_context("igd-regroup", &o, &ctx), 0);
	log_notice(ctx, "0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.");
	log_warning(ctx, "a warning");
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
	unsetenv("JOURNAL_STREAM");
	return tu_read_file(path);
}

START_TEST(log_priority_reaches_the_journal)
{
	_cleanup_(freep) char *j = log_through_cli(true);
	_cleanup_(freep) char *t = log_through_cli(false);

	/* under a unit: the journal files each line at its priority */
	ck_assert_str_eq(j, "<5>0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n"
			    "<4>warning: a warning\n");
	/* on a terminal or a pipe: plain lines */
	ck_assert_str_eq(t, "0000:00:1f.3 was taken by snd_hda_intel at the rescan; moved to vfio-pci.\n"
			    "warning: a warning\n");
}
END_TEST

START_TEST(apply_fault_exits_1)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", "remove@0000:00:1f.4=EIO",
				 (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	assert_has(err, "Cannot remove 0000:00:1f.4: Input/output error\n");
	assert_has(out, "Result: failed in ");
	/*
	 * 1f.4 was never removed, nor the two after it: they stay in group 7,
	 * and 1f.0, found again while they are present, rejoins them (its
	 * header has the multi-function bit); 1f.3 (bit clear) is alone
	 */
	assert_has(out, "0000:00:1f.4: group 7 -> 7 (still shared with 3 other devices)\n");
	assert_has(out, "0000:00:1f.0: group 7 -> 7 (still shared with 3 other devices)\n");
	assert_has(out, "0000:00:1f.3: group 7 -> 8 (alone)\n");
}
END_TEST

START_TEST(apply_lines_carry_priorities_in_the_journal)
{
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(run_sim_j("hp-elitedesk-800-g4", "remove@0000:00:1f.4=EIO", NULL, true,
				   (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	assert_has(err, "<6>Removed 0000:00:1f.0.\n");
	assert_has(err, "<3>Cannot remove 0000:00:1f.4: Input/output error\n");
	assert_all_prefixed(err);
	/* stdout is a pipe here, not the journal stream: the report is plain */
	assert_has(out, "\nResult: failed in ");
	assert_none_prefixed(out);
	/* the same run with stderr a plain file */
	tu_rm_rf(root);
	tu_mkdir_p(root, "");
	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", "remove@0000:00:1f.4=EIO",
				 (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	assert_has(err, "Cannot remove 0000:00:1f.4: Input/output error\n");
	assert_none_prefixed(err);
}
END_TEST

START_TEST(apply_out_of_memory_says_so)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	build("hp-elitedesk-800-g4");
	write_conf(HP_CONF);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", NULL, (const char *const[]){ "--root", root, "status", NULL }), 0);
	before = digest_of_sys();
	/* plan_build fails as on a failed allocation: not a silent exit 1 */
	ck_assert_int_eq(run_sim_j("hp-elitedesk-800-g4", NULL, "IGD_SIM_ENOMEM=plan_build", true,
				   (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	ck_assert_str_eq(err, "<3>Cannot build the plan: Cannot allocate memory. Nothing was changed.\n");
	ck_assert_str_eq(out, "");
	after = digest_of_sys();
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(run_sim_j("hp-elitedesk-800-g4", NULL, "IGD_SIM_ENOMEM=plan_build", false,
				   (const char *const[]){ "--root", root, "--config", conf, "apply", "--dry-run", NULL }),
			 1);
	ck_assert_str_eq(err, "cannot build the plan: Cannot allocate memory\n");
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(apply_missing_vfio_device_changes_nothing)
{
	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:1f.3 0000:00:1f.6\n[vfio]\ndevices = 0000:00:05.0\n");
	ck_assert_int_eq(run_sim_j("hp-elitedesk-800-g4", NULL, NULL, true,
				   (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	ck_assert_str_eq(err, "<3>[vfio] device 0000:00:05.0 is not present; nothing was changed.\n");
	/* the report says what happened to the functions: nothing */
	assert_has(out, "0000:00:1f.3: group 7 -> unchanged\n");
	assert_has(out, "0000:00:1f.6: group 7 -> unchanged\n");
	assert_has(out, "Result: failed in ");
	assert_lacks(out, "missing");
}
END_TEST

START_TEST(apply_refused_exits_1)
{
	_cleanup_(freep) char *before = NULL, *after = NULL;

	build("hp-elitedesk-800-g4");
	write_conf("[regroup]\nfunctions = 0000:00:1f.3 0000:00:17.0\n");
	before = tu_tree_digest(root);
	ck_assert_int_eq(run_sim("hp-elitedesk-800-g4", NULL,
				 (const char *const[]){ "--root", root, "--config", conf, "apply", NULL }),
			 1);
	after = tu_tree_digest(root);
	assert_has(err, "Refusing to remove 0000:00:17.0: disk sda is used (LVM pve, /, /boot/efi, swap). Nothing was changed.\n");
	assert_has(out, "0000:00:1f.3: group 7 -> unchanged (refused)\n");
	/* only the lock file is new */
	assert_has(after, "F /run/igd-regroup/lock");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("usage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, version_and_help);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, usage_errors_carry_priorities_in_the_journal);
	tcase_add_test(tc, bad_config_exits_2_with_path_line);
	tcase_add_test(tc, environment_variables);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, status_hp);
	tcase_add_test(tc, status_split_hp);
	tcase_add_test(tc, status_without_iommu);
	tcase_add_test(tc, status_shows_device_classes);
	tcase_add_test(tc, status_real_host_read_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, check_hp_before_split);
	tcase_add_test(tc, check_failures);
	tcase_add_test(tc, check_warns_unlisted_slot_sibling);
	tcase_add_test(tc, check_no_iommu_no_vfio);
	tcase_add_test(tc, check_drivers_nothing_keeps_them_off);
	tcase_add_test(tc, check_drivers_blacklisted);
	tcase_add_test(tc, check_drivers_ids_and_softdep);
	tcase_add_test(tc, check_drivers_ids_without_softdep);
	tcase_add_test(tc, check_drivers_command_line_ids_win);
	tcase_add_test(tc, check_drivers_module_once_for_several_devices);
	tcase_add_test(tc, check_drivers_without_modules);
	suite_add_tcase(s, tc);

	tc = tcase_create("dry-run");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dry_run_hp_writes_nothing);
	tcase_add_test(tc, dry_run_refuses_root_disk);
	tcase_add_test(tc, dry_run_stops_where_apply_stops_for_a_missing_vfio_device);
	tcase_add_test(tc, dry_run_n100_has_no_network_step);
	tcase_add_test(tc, dry_run_esprimo);
	tcase_add_test(tc, dry_run_nothing_configured);
	tcase_add_test(tc, no_iommu_apply_and_dry_run_say_so_first);
	tcase_add_test(tc, no_iommu_fix_for_proxmox_boot_tool);
	tcase_add_test(tc, no_iommu_although_on_the_command_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("apply");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, apply_hp);
	tcase_add_test(tc, log_priority_reaches_the_journal);
	tcase_add_test(tc, apply_fault_exits_1);
	tcase_add_test(tc, apply_lines_carry_priorities_in_the_journal);
	tcase_add_test(tc, apply_out_of_memory_says_so);
	tcase_add_test(tc, apply_missing_vfio_device_changes_nothing);
	tcase_add_test(tc, apply_refused_exits_1);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(cli_suite)
