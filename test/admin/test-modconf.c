/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module configuration through libkmod against fixture roots: the seed's HP
 * EliteDesk with a lib/modules/<release>/ written by test/modtree.c and
 * modprobe.d files per case.
 */
#include <check.h>
#include <libkmod.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "admin/modconf.h"
#include "core/sysfs.h"
#include "fixture.h"
#include "modtree.h"
#include "testutil.h"

#define RELEASE "6.8.12-11-pve"

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct snapshot snap;
static struct modconf *mc;
static struct modconf_device md;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
}

static void teardown(void)
{
	modconf_device_done(&md);
	mc = modconf_free(mc);
	snapshot_done(&snap);
	tu_root_teardown(&root, &ctx, &logbuf);
}

/* The HP with its kernel's aliases, the given modprobe.d file (NULL: none) and kernel command line. */
static void build_hp(const char *modprobe_conf, const char *cmdline)
{
	_cleanup_(freep) char *topo = fixture_topo_path("hp-elitedesk-800-g4");
	_cleanup_(freep) char *aliases_path = NULL, *aliases = NULL, *cmd = NULL;

	/* hp-elitedesk-800-g4.modules.alias next to the .topo */
	ck_assert_int_ge(asprintf(&aliases_path, "%.*s.modules.alias", (int)(strlen(topo) - strlen(".topo")), topo), 0);
	aliases = tu_read_file(aliases_path);
	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	ck_assert_int_eq(modtree_build(root, RELEASE, aliases), 0);
	tu_write_file(root, "proc/sys/kernel/osrelease", RELEASE "\n");
	if (modprobe_conf)
		tu_write_file(root, "etc/modprobe.d/igd-regroup.conf", modprobe_conf);
	if (cmdline) {
		ck_assert_int_ge(asprintf(&cmd, "%s\n", cmdline), 0);
		tu_write_file(root, "proc/cmdline", cmd);
	}
	ck_assert_int_eq(snapshot_read(ctx, &snap), 0);
}

static void open_ok(void)
{
	_cleanup_(freep) char *reason = NULL;

	ck_assert_int_eq(modconf_new(ctx, &mc, &reason), 0);
	ck_assert_ptr_null(reason);
	ck_assert_str_eq(modconf_kernel_release(mc), RELEASE);
}

/* Looks addr up by its sysfs modalias, as check does. */
static void lookup(const char *addr)
{
	struct pci_addr a;
	const struct pci_device *d;
	_cleanup_(freep) char *path = NULL, *alias = NULL;

	ck_assert_int_eq(pci_addr_parse(addr, 0, &a), 0);
	d = snapshot_find(&snap, &a);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_ge(asprintf(&path, "%s/sys/bus/pci/devices/%s/modalias", root, addr), 0);
	alias = tu_read_file(path);
	alias[strcspn(alias, "\n")] = '\0';
	modconf_device_done(&md);
	ck_assert_int_eq(modconf_device_lookup(mc, alias, d, &md), 0);
}

static void assert_claims(const char *names)
{
	_cleanup_(freep) char *got = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&got, &len);

	for (size_t i = 0; i < md.n_claims; i++)
		fprintf(f, "%s%s", i ? " " : "", md.claims[i].module);
	fclose(f);
	ck_assert_str_eq(got, names);
}

/* ---- parsers ---- */

START_TEST(ids_match_like_pci_match_id)
{
	struct pci_device d = { .vendor_id = 0x8086, .device_id = 0xa348, .subsys_vendor_id = 0x103c,
				.subsys_device_id = 0x83e2, .class_code = 0x040300 };

	ck_assert(modconf_ids_match("8086:a348", &d));
	ck_assert(modconf_ids_match("8086:A348", &d));
	ck_assert(modconf_ids_match("1234:1111,8086:a348", &d));
	ck_assert(modconf_ids_match("8086:a348:103c:83e2", &d));
	ck_assert(modconf_ids_match("8086:a348:ffffffff:ffffffff:040300:ffffff", &d));
	ck_assert(modconf_ids_match("ffffffff:a348", &d));
	ck_assert(!modconf_ids_match("8086:a349", &d));
	ck_assert(!modconf_ids_match("8086:a348:103c:0001", &d));
	ck_assert(!modconf_ids_match("8086:a348:ffffffff:ffffffff:030000:ff0000", &d));
	ck_assert(!modconf_ids_match("8086", &d));
	ck_assert(!modconf_ids_match("8086:a348x", &d));
	ck_assert(!modconf_ids_match("", &d));
}
END_TEST

START_TEST(cmdline_values_whole_words)
{
	_cleanup_(freep) char *bl = NULL, *ids = NULL, *none = NULL;

	ck_assert_int_eq(modconf_cmdline_values("BOOT_IMAGE=/vmlinuz quiet modprobe.blacklist=snd_hda_intel,i915 "
						"xmodprobe.blacklist=nope vfio-pci.ids=8086:a348 "
						"vfio_pci.ids=\"8086:3e92\" vfio_pci.idsx=1",
						"modprobe.blacklist", &bl),
			 0);
	ck_assert_str_eq(bl, "snd_hda_intel,i915");
	ck_assert_int_eq(modconf_cmdline_values("vfio-pci.ids=8086:a348 vfio_pci.ids=\"8086:3e92\" vfio_pci.idsx=1",
						"vfio_pci.ids", &ids),
			 0);
	ck_assert_str_eq(ids, "8086:a348,8086:3e92");
	ck_assert_int_eq(modconf_cmdline_values("quiet intel_iommu=on", "vfio_pci.ids", &none), 0);
	ck_assert_ptr_null(none);
}
END_TEST

START_TEST(softdep_pre_vfio_in_pre_only)
{
	ck_assert(modconf_softdep_pre_vfio("pre: vfio-pci"));
	ck_assert(modconf_softdep_pre_vfio("pre: vfio_pci"));
	ck_assert(modconf_softdep_pre_vfio("pre: snd_hda_codec vfio-pci post: snd_hda_core"));
	ck_assert(modconf_softdep_pre_vfio("pre:\tvfio-pci\tpost: x"));
	/* kmod 30 writes the pre list and "post:" without a blank between them */
	ck_assert(modconf_softdep_pre_vfio("pre: vfio-pcipost: snd_hda_core"));
	ck_assert(!modconf_softdep_pre_vfio("post: vfio-pci"));
	ck_assert(!modconf_softdep_pre_vfio("pre: snd_hda_core post: vfio-pci"));
	ck_assert(!modconf_softdep_pre_vfio("pre: vfio-pci-core vfio"));
	ck_assert(!modconf_softdep_pre_vfio("pre: xvfio-pci"));
	ck_assert(!modconf_softdep_pre_vfio("vfio-pci"));
	ck_assert(!modconf_softdep_pre_vfio(""));
}
END_TEST

START_TEST(options_ids_last_word_wins)
{
	_cleanup_(freep) char *ids = NULL;

	ck_assert_int_eq(modconf_options_ids("disable_vga=1", &ids), 0);
	ck_assert_ptr_null(ids);
	ck_assert_int_eq(modconf_options_ids("ids=8086:a348 disable_vga=1", &ids), 0);
	ck_assert_str_eq(ids, "8086:a348");
	ck_assert_int_eq(modconf_options_ids("ids=\"8086:3e92,8086:a348\"", &ids), 0);
	ck_assert_str_eq(ids, "8086:3e92,8086:a348");
	ck_assert_int_eq(modconf_options_ids("ids=1 \tids=2", &ids), 0);
	ck_assert_str_eq(ids, "2");
	/* an empty ids= and a longer key change nothing */
	ck_assert_int_eq(modconf_options_ids("ids= xids=3 idsx=4", &ids), 0);
	ck_assert_str_eq(ids, "2");
}
END_TEST

/* ---- lookups ---- */

START_TEST(claims_from_the_module_aliases)
{
	build_hp(NULL, "quiet intel_iommu=on");
	open_ok();
	lookup("0000:00:1f.3");
	/* both the HDA and the SOF driver list 8086:a348; vfio_pci's own alias does not match */
	assert_claims("snd_hda_intel snd_sof_pci_intel_cnl");
	ck_assert(!md.vfio_ids && !md.vfio_ids_cmdline);
	ck_assert(!modconf_device_kept_off(&md));
	lookup("0000:00:02.0");
	assert_claims("i915");
	lookup("0000:00:1f.0");
	assert_claims("");
	ck_assert(modconf_device_kept_off(&md)); /* nothing to keep off */
	ck_assert_ptr_null(modconf_vfio_ids(mc));
}
END_TEST

START_TEST(vfio_pci_is_not_a_claimer)
{
	build_hp(NULL, NULL);
	ck_assert_int_eq(modtree_build(root, RELEASE,
				       "alias pci:v00008086d0000A348sv*sd*bc*sc*i* vfio_pci\n"
				       "alias pci:v00008086d0000A348sv*sd*bc*sc*i* snd_hda_intel\n"),
			 0);
	open_ok();
	lookup("0000:00:1f.3");
	assert_claims("snd_hda_intel");
}
END_TEST

START_TEST(blacklist_in_modprobe_d)
{
	build_hp("blacklist snd_hda_intel\nblacklist snd-sof-pci-intel-cnl\n", NULL);
	open_ok();
	lookup("0000:00:1f.3");
	ck_assert(md.claims[0].blacklisted && md.claims[1].blacklisted);
	ck_assert(!md.claims[0].blacklisted_cmdline);
	ck_assert(modconf_device_kept_off(&md));
	lookup("0000:00:02.0");
	ck_assert(!modconf_device_kept_off(&md));
}
END_TEST

START_TEST(blacklist_on_the_root_command_line)
{
	build_hp("blacklist snd_hda_intel\n", "quiet modprobe.blacklist=snd_sof_pci_intel_cnl,i915");
	open_ok();
	lookup("0000:00:1f.3");
	ck_assert(md.claims[0].blacklisted && !md.claims[0].blacklisted_cmdline);
	ck_assert(!md.claims[1].blacklisted && md.claims[1].blacklisted_cmdline);
	ck_assert(modconf_device_kept_off(&md));
	lookup("0000:00:02.0");
	ck_assert(md.claims[0].blacklisted_cmdline);
	ck_assert(modconf_device_kept_off(&md));
}
END_TEST

START_TEST(ids_and_softdep_keep_off)
{
	build_hp("options vfio-pci ids=8086:3e92,8086:a348 disable_vga=1\n"
		 "softdep snd_hda_intel pre: vfio-pci\n"
		 "softdep snd_sof_pci_intel_cnl pre: vfio_pci post: snd_hda_codec\n"
		 "softdep i915 post: vfio-pci\n",
		 NULL);
	open_ok();
	ck_assert_str_eq(modconf_vfio_ids(mc), "8086:3e92,8086:a348");
	lookup("0000:00:1f.3");
	ck_assert(md.vfio_ids && md.claims[0].softdep_vfio && md.claims[1].softdep_vfio);
	ck_assert(modconf_device_kept_off(&md));
	/* i915 has vfio-pci only after it (post:), which keeps nothing off */
	lookup("0000:00:02.0");
	ck_assert(md.vfio_ids && !md.claims[0].softdep_vfio);
	ck_assert(!modconf_device_kept_off(&md));
}
END_TEST

START_TEST(ids_without_softdep_do_not_keep_off)
{
	build_hp("options vfio_pci ids=8086:a348\n", NULL);
	open_ok();
	lookup("0000:00:1f.3");
	ck_assert(md.vfio_ids);
	ck_assert(!md.claims[0].softdep_vfio);
	ck_assert(!modconf_claim_kept_off(&md, &md.claims[0]));
	ck_assert(!modconf_device_kept_off(&md));
}
END_TEST

START_TEST(softdep_without_ids_does_not_keep_off)
{
	build_hp("options vfio-pci ids=8086:3e92\nsoftdep snd_hda_intel pre: vfio-pci\n"
		 "softdep snd_sof_pci_intel_cnl pre: vfio-pci\n",
		 NULL);
	open_ok();
	lookup("0000:00:1f.3");
	ck_assert(!md.vfio_ids && md.claims[0].softdep_vfio);
	ck_assert(!modconf_device_kept_off(&md));
}
END_TEST

START_TEST(last_ids_wins_and_command_line_wins)
{
	build_hp("options vfio-pci ids=8086:a348\noptions vfio-pci ids=8086:3e92\n"
		 "softdep snd_hda_intel pre: vfio-pci\nsoftdep snd_sof_pci_intel_cnl pre: vfio-pci\n",
		 NULL);
	open_ok();
	ck_assert_str_eq(modconf_vfio_ids(mc), "8086:3e92");
	lookup("0000:00:1f.3");
	ck_assert(!md.vfio_ids);
	ck_assert(!modconf_device_kept_off(&md));
	mc = modconf_free(mc);

	/* modprobe appends vfio-pci.ids= of the command line after modprobe.d's options */
	tu_write_file(root, "proc/cmdline", "quiet vfio-pci.ids=8086:a348\n");
	open_ok();
	ck_assert_str_eq(modconf_vfio_ids_cmdline(mc), "8086:a348");
	lookup("0000:00:1f.3");
	ck_assert(md.vfio_ids_cmdline && !md.vfio_ids);
	ck_assert(modconf_device_kept_off(&md));
	lookup("0000:00:02.0");
	ck_assert(!md.vfio_ids && !md.vfio_ids_cmdline);
}
END_TEST

START_TEST(other_modprobe_dirs_and_initramfs)
{
	build_hp(NULL, NULL);
	tu_write_file(root, "usr/lib/modprobe.d/pve-blacklist.conf", "blacklist snd_sof_pci_intel_cnl\n");
	tu_write_file(root, "lib/modprobe.d/vfio.conf", "options vfio-pci ids=8086:a348\n");
	tu_write_file(root, "run/modprobe.d/x.conf", "softdep snd_hda_intel pre: vfio-pci\n");
	tu_write_file(root, "etc/modprobe.d/ignored.txt", "blacklist i915\n"); /* not a .conf */
	tu_write_file(root, "etc/initramfs-tools/modules", "# comment\nvfio-pci ids=1:2\n  snd_hda_intel\n");
	open_ok();
	ck_assert(modconf_vfio_in_initramfs(mc));
	lookup("0000:00:1f.3");
	ck_assert(md.claims[0].softdep_vfio && md.claims[0].in_initramfs);
	ck_assert(md.claims[1].blacklisted && !md.claims[1].in_initramfs);
	ck_assert(modconf_device_kept_off(&md));
	lookup("0000:00:02.0");
	ck_assert(!md.claims[0].blacklisted);
}
END_TEST

/*
 * libkmod reads the running kernel's /proc/cmdline by itself. In a child
 * with a mount namespace of its own, a hostile host command line is bound
 * over /proc/cmdline; the root under test says only "quiet", and its answer
 * must not change. Exit codes of the child: 0 as expected, 1 the host's
 * line leaked, 2 libkmod did not see the planted line, 3 the lookup
 * failed, 77 no namespace.
 */
static int child_with_planted_cmdline(const char *planted)
{
	static const char *const no_files[] = { NULL };
	struct kmod_ctx *k;
	struct kmod_config_iter *it;
	_cleanup_(freep) char *reason = NULL, *line = NULL, *path = NULL, *alias = NULL;
	const struct pci_device *d;
	struct pci_addr a;
	bool seen = false;
	size_t cap = 0;
	FILE *f;

	if (unshare(geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(planted, "/proc/cmdline", "none", MS_BIND, NULL) < 0)
		return 77;
	f = fopen("/proc/cmdline", "re");
	if (!f || getline(&line, &cap, f) < 0 || !strstr(line, "modprobe.blacklist=snd_hda_intel"))
		return 77;
	fclose(f);

	/* the plant reached libkmod: a context without files holds the blacklist */
	k = kmod_new(NULL, no_files);
	it = k ? kmod_config_get_blacklists(k) : NULL;
	while (it && kmod_config_iter_next(it))
		seen |= strcmp(kmod_config_iter_get_key(it), "snd_hda_intel") == 0;
	kmod_config_iter_free_iter(it);
	kmod_unref(k);
	if (!seen)
		return 2;

	/* no ck_assert here: under CK_FORK=no it would jump back into the runner in this child */
	mc = modconf_free(mc);
	if (modconf_new(ctx, &mc, &reason) < 0 || pci_addr_parse("0000:00:1f.3", 0, &a) < 0 ||
	    !(d = snapshot_find(&snap, &a)) || asprintf(&path, "%s/sys/bus/pci/devices/0000:00:1f.3/modalias", root) < 0 ||
	    sysfs_read_line(path, &alias) < 0 || modconf_device_lookup(mc, alias, d, &md) < 0)
		return 3;
	return md.n_claims == 2 && !md.claims[0].blacklisted && !md.claims[0].blacklisted_cmdline &&
			       !md.vfio_ids && !md.vfio_ids_cmdline && !modconf_device_kept_off(&md) &&
			       !modconf_vfio_ids(mc) && !modconf_vfio_ids_cmdline(mc)
		       ? 0
		       : 1;
}

START_TEST(host_command_line_does_not_leak)
{
	_cleanup_(freep) char *planted = NULL;
	int status;
	pid_t pid;

	build_hp(NULL, "quiet");
	tu_write_file(root, "host-cmdline",
		      "quiet modprobe.blacklist=snd_hda_intel,snd_sof_pci_intel_cnl vfio-pci.ids=8086:a348 "
		      "vfio_pci.ids=8086:a348 snd_hda_intel.enable=0\n");
	planted = tu_path(root, "host-cmdline");
	open_ok(); /* the lookup in the child uses mc */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r = child_with_planted_cmdline(planted);

		free(planted); /* _exit runs no cleanup */
		_exit(r);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		/* without a mount namespace the host's own line is all there is: still no leak */
		fprintf(stderr, "note: no mount namespace here: the host command line was not planted\n");
		lookup("0000:00:1f.3");
		ck_assert(!md.claims[0].blacklisted_cmdline && !md.vfio_ids_cmdline);
		return;
	}
	ck_assert_msg(WEXITSTATUS(status) == 0, "child: %d (1: the host's command line leaked, "
		      "2: libkmod did not read the planted one, 3: the lookup failed)", WEXITSTATUS(status));
}
END_TEST

/* ---- what is not there ---- */

START_TEST(no_modules_says_why)
{
	_cleanup_(freep) char *reason = NULL;

	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	ck_assert_int_eq(modconf_new(ctx, &mc, &reason), -ENOENT);
	ck_assert_ptr_null(mc);
	ck_assert_str_eq(reason, "no kernel modules in /lib/modules");
	free(reason);
	reason = NULL;

	tu_write_file(root, "proc/sys/kernel/osrelease", RELEASE "\n");
	ck_assert_int_eq(modconf_new(ctx, &mc, &reason), -ENOENT);
	ck_assert_str_eq(reason, "no /lib/modules/" RELEASE "/modules.alias.bin");
}
END_TEST

START_TEST(release_from_the_only_modules_dir)
{
	_cleanup_(freep) char *reason = NULL;

	ck_assert_int_eq(fixture_build_named(root, "hp-elitedesk-800-g4"), 0);
	ck_assert_int_eq(modtree_build(root, RELEASE, "alias pci:v00008086d0000A348sv*sd*bc*sc*i* snd_hda_intel\n"), 0);
	ck_assert_int_eq(modconf_new(ctx, &mc, &reason), 0);
	ck_assert_str_eq(modconf_kernel_release(mc), RELEASE);
	mc = modconf_free(mc);
	ck_assert_int_eq(modtree_build(root, "6.8.12-9-pve", "alias pci:v00008086d0000A348sv*sd*bc*sc*i* snd_hda_intel\n"), 0);
	ck_assert_int_eq(modconf_new(ctx, &mc, &reason), -ENOENT);
	ck_assert_msg(strstr(reason, "several kernels in /lib/modules"), "%s", reason);
}
END_TEST

static Suite *modconf_suite(void)
{
	Suite *s = suite_create("modconf");
	TCase *tc;

	tc = tcase_create("parsers");
	tcase_add_test(tc, ids_match_like_pci_match_id);
	tcase_add_test(tc, cmdline_values_whole_words);
	tcase_add_test(tc, softdep_pre_vfio_in_pre_only);
	tcase_add_test(tc, options_ids_last_word_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, claims_from_the_module_aliases);
	tcase_add_test(tc, vfio_pci_is_not_a_claimer);
	tcase_add_test(tc, blacklist_in_modprobe_d);
	tcase_add_test(tc, blacklist_on_the_root_command_line);
	tcase_add_test(tc, ids_and_softdep_keep_off);
	tcase_add_test(tc, ids_without_softdep_do_not_keep_off);
	tcase_add_test(tc, softdep_without_ids_does_not_keep_off);
	tcase_add_test(tc, last_ids_wins_and_command_line_wins);
	tcase_add_test(tc, other_modprobe_dirs_and_initramfs);
	tcase_add_test(tc, host_command_line_does_not_leak);
	suite_add_tcase(s, tc);

	tc = tcase_create("absent");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, no_modules_says_why);
	tcase_add_test(tc, release_from_the_only_modules_dir);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(modconf_suite)
