/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Proxmox VM config reader: the seeds' VM configs (test/fixtures/pve/,
 * copied verbatim), what is not the current config (snapshots, [PENDING],
 * [special:...], the description), hostpci values and every malformed one
 * (each asserted as the exact logged "PATH:LINE: hostpciN: ..."), PCI
 * mappings through pci.cfg for this node, the node name, machine and vga.
 * Every test gets a fresh root.
 */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "core/macro.h"
#include "pve/vmconf.h"
#include "testutil.h"

#define VM_DIR "etc/pve/qemu-server"
#define PCI_CFG "etc/pve/mapping/pci.cfg"

/* ---- fixture: a fresh root, context and log per test ---- */

static char *root;
static struct tu_log logbuf;
static struct igd_ctx *ctx;
static struct vm_config conf;

static void setup(void)
{
	tu_root_setup(&root, &ctx, &logbuf, NULL);
	conf = (struct vm_config){};
}

static void teardown(void)
{
	vm_config_done(&conf);
	tu_root_teardown(&root, &ctx, &logbuf);
}

static char *fixture_text(const char *name)
{
	const char *src = getenv("IGD_TEST_SRCDIR");
	_cleanup_(freep) char *path = NULL;
	char *text;

	ck_assert_int_ge(asprintf(&path, "%s/fixtures/pve/%s", src && *src ? src : "test", name), 0);
	text = tu_read_file(path);
	ck_assert_msg(text, "cannot read fixture %s (set IGD_TEST_SRCDIR)", path);
	return text;
}

/* Copies test/fixtures/pve/<name> to <root>/<rel>. */
static void install(const char *rel, const char *name)
{
	_cleanup_(freep) char *text = fixture_text(name);

	tu_write_file(root, rel, text);
}

static char *vm_rel(uint32_t vmid)
{
	char *rel = NULL;

	ck_assert_int_ge(asprintf(&rel, VM_DIR "/%" PRIu32 ".conf", vmid), 0);
	return rel;
}

static void install_vm(uint32_t vmid, const char *name)
{
	_cleanup_(freep) char *rel = vm_rel(vmid);

	install(rel, name);
}

static void write_vm(uint32_t vmid, const char *text)
{
	_cleanup_(freep) char *rel = vm_rel(vmid);

	tu_write_file(root, rel, text);
}

/* The path the library reports for VM vmid's config: <root>/etc/pve/qemu-server/VMID.conf. */
static char *vm_path(uint32_t vmid)
{
	_cleanup_(freep) char *rel = vm_rel(vmid);

	return tu_path(root, rel);
}

static int read_vm(uint32_t vmid)
{
	vm_config_done(&conf);
	return vm_config_read(ctx, vmid, &conf);
}

/* ---- expected values, compared in printed form so a failure shows both sides ---- */

static void hostpci_print(FILE *f, const struct vm_hostpci *h)
{
	_cleanup_(freep) char *addrs = tu_addrs_join(h->addrs, h->n_addrs, ";");

	fprintf(f, "hostpci%u: %s", h->index, addrs);
	if (h->mapping)
		fprintf(f, " mapping=%s", h->mapping);
	if (h->legacy_igd)
		fputs(" legacy-igd", f);
	if (h->pcie)
		fputs(" pcie", f);
	if (h->x_vga)
		fputs(" x-vga", f);
	if (h->rombar >= 0)
		fprintf(f, " rombar=%d", h->rombar);
	if (h->romfile)
		fprintf(f, " romfile=%s", h->romfile);
	fputc('\n', f);
}

/* "vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\nhostpci0: 0000:00:02 legacy-igd ...\n" */
static char *conf_str(const struct vm_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "vmid=%" PRIu32 " machine=%s vga=%s q35=%d\n", c->vmid, strna(c->machine),
		strna(c->vga), vm_machine_is_q35(c->machine));
	for (size_t i = 0; i < c->n_hostpci; i++)
		hostpci_print(f, &c->hostpci[i]);
	fclose(f);
	return buf;
}

static void assert_conf(const char *expected)
{
	_cleanup_(freep) char *got = conf_str(&conf);

	ck_assert_str_eq(got, expected);
}

static const char *log_text(void)
{
	return logbuf.buf ? logbuf.buf : "";
}

/* The log holds exactly this line ("<prio>|<message>"). */
static void assert_log_line(int prio, const char *fmt, ...) _printf_(2, 3);
static void assert_log_line(int prio, const char *fmt, ...)
{
	_cleanup_(freep) char *msg = NULL, *line = NULL;
	const char *log = log_text();
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&msg, fmt, ap), 0);
	va_end(ap);
	ck_assert_int_ge(asprintf(&line, "%d|%s\n", prio, msg), 0);
	n = strlen(line);
	for (const char *p = log; (p = strstr(p, line)); p++)
		if (p == log || p[-1] == '\n')
			return;
	ck_abort_msg("log line '%.*s' not in log:\n%s", (int)n - 1, line, log);
}

/* The number of logged lines at prio or more urgent. */
static size_t log_lines_upto(int prio)
{
	size_t n = 0;
	const char *p = log_text();

	while (*p) {
		if (atoi(p) <= prio)
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void assert_no_warnings(void)
{
	ck_assert_msg(log_lines_upto(LOG_WARNING) == 0, "unexpected warnings:\n%s", log_text());
}

/* conf is left as set before a failing read */
static void poison_conf(void)
{
	vm_config_done(&conf);
	conf = (struct vm_config){ .vmid = 4242, .n_hostpci = 77 };
}

static void assert_conf_poisoned(void)
{
	ck_assert_uint_eq(conf.vmid, 4242);
	ck_assert_uint_eq(conf.n_hostpci, 77);
	ck_assert_ptr_null(conf.hostpci);
	ck_assert_ptr_null(conf.machine);
	ck_assert_ptr_null(conf.vga);
	conf = (struct vm_config){};
}

/* ---- seeds: the VM configs of the write-ups, verbatim ---- */

START_TEST(seed_hp_elitedesk_working)
{
	_cleanup_(freep) char *path = vm_path(100);

	/* seeds/000: "qm config 100", with an [apps] snapshot added after it */
	install_vm(100, "hp-elitedesk-100.conf");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02 legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f.3\n");
	/* 0000:00:02 is the slot, all of its functions */
	ck_assert(!conf.hostpci[0].addrs[0].has_func);
	ck_assert(conf.hostpci[1].addrs[0].has_func);
	ck_assert_int_eq(conf.hostpci[0].rombar, -1);
	ck_assert_ptr_null(conf.hostpci[0].mapping);
	/* "boot:" has no value: Proxmox ignores the line, so do we */
	assert_log_line(LOG_DEBUG, "%s:4: ignoring boot without a value", path);
	assert_no_warnings();
}
END_TEST

START_TEST(seed_hp_elitedesk_final)
{
	/* seeds/000: the three passthrough lines of the workaround */
	install_vm(100, "hp-elitedesk-100-final.conf");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=n/a vga=n/a q35=0\n"
		    "hostpci0: 0000:00:02 legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f.0\n"
		    "hostpci2: 0000:00:1f.3\n");
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 0);
}
END_TEST

START_TEST(seed_hp_elitedesk_original)
{
	/* seeds/000: "qm config 103" before the passthrough: q35, vga with options */
	install_vm(103, "hp-elitedesk-103-original.conf");
	ck_assert_int_eq(read_vm(103), 0);
	assert_conf("vmid=103 machine=pc-q35-6.1 vga=virtio q35=1\n");
	ck_assert_ptr_null(conf.hostpci);
	assert_no_warnings();
}
END_TEST

START_TEST(seed_n100)
{
	/* seeds/001: the N100 */
	install_vm(101, "n100-101.conf");
	ck_assert_int_eq(read_vm(101), 0);
	assert_conf("vmid=101 machine=q35 vga=n/a q35=1\n"
		    "hostpci0: 0000:00:02 pcie x-vga\n"
		    "hostpci1: 0000:00:1f pcie\n");
	ck_assert(!conf.hostpci[1].addrs[0].has_func);
	assert_no_warnings();
}
END_TEST

START_TEST(seed_esprimo)
{
	/* seeds/001: the Esprimo Q957 */
	install_vm(100, "esprimo-100.conf");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=pc vga=none q35=0\n"
		    "hostpci0: 0000:00:02.0\n"
		    "hostpci1: 0000:00:1f.3 rombar=0\n");
	assert_no_warnings();
}
END_TEST

START_TEST(seed_guide_q35)
{
	/* seeds/002: the q35 example */
	install_vm(109, "guide-q35-109.conf");
	ck_assert_int_eq(read_vm(109), 0);
	assert_conf("vmid=109 machine=pc-q35-7.2 vga=none q35=1\n"
		    "hostpci0: 0000:00:02 romfile=i915ovmf.rom\n");
	assert_no_warnings();
}
END_TEST

START_TEST(seed_guide_i440fx)
{
	/* seeds/002: the i440fx example */
	install_vm(120, "guide-i440fx-120.conf");
	ck_assert_int_eq(read_vm(120), 0);
	assert_conf("vmid=120 machine=pc-i440fx-7.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02 legacy-igd romfile=vbios_gvt_uefi.rom\n");
	assert_no_warnings();
}
END_TEST

START_TEST(seed_guide_q35_args_only)
{
	/* seeds/004: the device passed with "args: -device vfio-pci,..." is not a hostpci */
	install_vm(109, "guide-q35-args-109.conf");
	ck_assert_int_eq(read_vm(109), 0);
	assert_conf("vmid=109 machine=pc-q35-7.2 vga=none q35=1\n");
	assert_no_warnings();
}
END_TEST

/* ---- only the current config counts ---- */

START_TEST(snapshot_section_ignored)
{
	/* the [apps] snapshot has hostpci0: 0000:00:1f.6, a broken hostpci3 and q35 */
	install_vm(100, "hp-elitedesk-100.conf");
	ck_assert_int_eq(read_vm(100), 0);
	ck_assert_uint_eq(conf.n_hostpci, 2);
	ck_assert_str_eq(conf.machine, "pc-i440fx-9.2");
	ck_assert_str_eq(conf.vga, "none");
	ck_assert(!tu_log_contains(&logbuf, "hostpci3"));
}
END_TEST

START_TEST(description_and_snapshot)
{
	/* "#..." description lines first (one holds "machine: q35"), a [before-audio] snapshot last */
	install_vm(100, "described-snapshot-100.conf");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02 legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f.0\n"
		    "hostpci2: 0000:00:1f.3\n");
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 0);
}
END_TEST

START_TEST(pending_section_ignored)
{
	/* [PENDING] adds hostpci2, a broken hostpci4 and q35; [special:cloudinit] a hostpci0 */
	install_vm(100, "pending-100.conf");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02 legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f.3\n");
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 0);
}
END_TEST

START_TEST(any_bracket_line_ends_config)
{
	static const char *const headers[] = {
		"[snap1]", "[PENDING]", "[special:cloudinit]", "[special:fleecing]",
		"[snap-2_a]   ", "[]", "[Unknown Section]",
	};

	for (size_t i = 0; i < ELEMENTSOF(headers); i++) {
		_cleanup_(freep) char *text = NULL;

		ck_assert_int_ge(asprintf(&text,
					  "hostpci0: 0000:00:02.0\n%s\nhostpci1: 0000:00:1f.3\n"
					  "hostpci2: bad\n",
					  headers[i]),
				 0);
		write_vm(100, text);
		ck_assert_int_eq(read_vm(100), 0);
		ck_assert_msg(conf.n_hostpci == 1, "after '%s'", headers[i]);
	}
	assert_no_warnings();
}
END_TEST

/* ---- the lines of the current config ---- */

START_TEST(line_syntax)
{
	_cleanup_(freep) char *path = vm_path(100);

	write_vm(100, "#hostpci9: 0000:00:1f.6\n"           /* 1 description */
		      "\n"                                  /* 2 */
		      "   \t\n"                             /* 3 blank */
		      "  hostpci8: 0000:00:1f.6\n"          /* 4 indented: not a key */
		      "HOSTPCI7: 0000:00:1f.6\n"            /* 5 upper case: not a key */
		      "hostpci0:0000:00:02.0   \r\n"        /* 6 no space, trailing blanks, CRLF */
		      "hostpci1:   0000:00:1f.3\n"          /* 7 */
		      "vga: std\n"                          /* 8 */
		      "vga:  none  \n"                      /* 9 the later line wins */
		      "machine: pc-q35-9.2+pve1\n"          /* 10 */
		      "hostpci1: 0000:00:1f.0\n"            /* 11 the later line wins */
		      "[brackets] in the middle: a key?\n"  /* 12 not a section header */
		      "hostpci2: 0000:00:1f.4");            /* 13 no final newline */
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=pc-q35-9.2+pve1 vga=none q35=1\n"
		    "hostpci0: 0000:00:02.0\n"
		    "hostpci1: 0000:00:1f.0\n"
		    "hostpci2: 0000:00:1f.4\n");
	assert_log_line(LOG_DEBUG, "%s:4: ignoring a line that is not 'key: value'", path);
	assert_log_line(LOG_DEBUG, "%s:5: ignoring a line that is not 'key: value'", path);
	assert_log_line(LOG_DEBUG, "%s:12: ignoring a line that is not 'key: value'", path);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 3);
}
END_TEST

START_TEST(hostpci_indexes)
{
	_cleanup_(freep) char *path = vm_path(100);

	/* Proxmox knows hostpci0..hostpci15; the list comes out in index order */
	write_vm(100, "hostpci15: 0000:00:1f.6\n"
		      "hostpci3: 0000:00:1f.3\n"
		      "hostpci16: 0000:00:1f.5\n"
		      "hostpci0: 0000:00:02.0\n"
		      "hostpci01: 0000:00:1f.4\n"
		      "hostpci: 0000:00:1f.4\n"
		      "hostpci10: 0000:00:14.0\n");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=n/a vga=n/a q35=0\n"
		    "hostpci0: 0000:00:02.0\n"
		    "hostpci3: 0000:00:1f.3\n"
		    "hostpci10: 0000:00:14.0\n"
		    "hostpci15: 0000:00:1f.6\n");
	assert_log_line(LOG_WARNING, "%s:3: ignoring hostpci16: Proxmox uses hostpci0 to hostpci15",
			path);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 1);
}
END_TEST

START_TEST(all_sixteen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (unsigned i = 0; i < VM_HOSTPCI_MAX; i++)
		fprintf(f, "hostpci%u: 0000:%02x:00.0,pcie=1\n", VM_HOSTPCI_MAX - 1 - i, i + 1);
	fclose(f);
	write_vm(100, buf);
	free(buf);
	ck_assert_int_eq(read_vm(100), 0);
	ck_assert_uint_eq(conf.n_hostpci, VM_HOSTPCI_MAX);
	for (unsigned i = 0; i < VM_HOSTPCI_MAX; i++) {
		ck_assert_uint_eq(conf.hostpci[i].index, i);
		ck_assert_uint_eq(conf.hostpci[i].addrs[0].bus, VM_HOSTPCI_MAX - i);
	}
}
END_TEST

/* ---- hostpci values ---- */

START_TEST(host_key_and_lists)
{
	write_vm(100, "hostpci0: host=0000:00:02.0;0000:00:02.1,pcie=on,x-vga=yes\n"
		      "hostpci1: 00:1f.0;00:1f.3,rombar=off,legacy-igd=false\n"
		      "hostpci2: rombar=1,host=0000:00:1f,pcie=FALSE,x-vga=True,legacy-igd=0\n"
		      "hostpci3: 0000:01:00.0,,mdev=i915-GVTg_V5_4,vendor-id=0x8086,device-id=0x3e92,"
		      "sub-vendor-id=0x103c,sub-device-id=0x83e2,driver=keep,x-new-option=1\n"
		      "hostpci4: ,  ,0000:00:14.3,romfile=/root/wifi.rom,\n");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=n/a vga=n/a q35=0\n"
		    "hostpci0: 0000:00:02.0;0000:00:02.1 pcie x-vga\n"
		    "hostpci1: 0000:00:1f.0;0000:00:1f.3 rombar=0\n"
		    "hostpci2: 0000:00:1f x-vga rombar=1\n"
		    "hostpci3: 0000:01:00.0\n"
		    "hostpci4: 0000:00:14.3 romfile=/root/wifi.rom\n");
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 0);
}
END_TEST

START_TEST(hostpci_parse_direct)
{
	struct vm_hostpci h = { .index = 9, .rombar = 5 };
	_cleanup_(freep) char *addrs = NULL;

	ck_assert_int_eq(vm_hostpci_parse("0000:00:02,legacy-igd=1,romfile=igpu-uhd630.rom", &h), 0);
	ck_assert_uint_eq(h.index, 0);
	ck_assert_uint_eq(h.n_addrs, 1);
	ck_assert(h.legacy_igd && !h.pcie && !h.x_vga);
	ck_assert_int_eq(h.rombar, -1);
	ck_assert_str_eq(h.romfile, "igpu-uhd630.rom");
	vm_hostpci_done(&h);
	ck_assert_ptr_null(h.addrs);
	ck_assert_ptr_null(h.romfile);
	vm_hostpci_done(&h); /* twice is fine */
	vm_hostpci_done(NULL);

	/* a mapping stays unresolved: no addresses */
	ck_assert_int_eq(vm_hostpci_parse("mapping=pch-audio,pcie=1", &h), 0);
	ck_assert_str_eq(h.mapping, "pch-audio");
	ck_assert_uint_eq(h.n_addrs, 0);
	ck_assert_ptr_null(h.addrs);
	ck_assert(h.pcie);
	vm_hostpci_done(&h);

	ck_assert_int_eq(vm_hostpci_parse("1:0.0;0:1f.3", &h), 0);
	addrs = tu_addrs_join(h.addrs, h.n_addrs, " ");
	ck_assert_str_eq(addrs, "0000:01:00.0 0000:00:1f.3");
	vm_hostpci_done(&h);

	/* failure leaves *ret untouched */
	h = (struct vm_hostpci){ .index = 9, .rombar = 5 };
	ck_assert_int_eq(vm_hostpci_parse("0000:00:1f.3/remove", &h), -EBADMSG);
	ck_assert_int_eq(vm_hostpci_parse(NULL, &h), -EBADMSG);
	ck_assert_int_eq(vm_hostpci_parse("", &h), -EBADMSG);
	ck_assert_int_eq(vm_hostpci_parse("0000:00:02.0,mapping=igpu", &h), -EBADMSG);
	ck_assert_int_eq(vm_hostpci_parse("pcie=1", &h), -EBADMSG);
	ck_assert_uint_eq(h.index, 9);
	ck_assert_int_eq(h.rombar, 5);
	ck_assert_ptr_null(h.addrs);
	ck_assert_ptr_null(h.mapping);
}
END_TEST

/* ---- malformed hostpci values: -EBADMSG, "PATH:LINE: hostpciN: what", nothing returned ---- */

static void assert_bad(const char *value, const char *what)
{
	_cleanup_(freep) char *text = NULL, *path = vm_path(100);

	tu_log_reset(&logbuf);
	ck_assert_int_ge(asprintf(&text, "name: bad\nhostpci7:%s%s\nvga: none\n", *value ? " " : "",
				  value),
			 0);
	write_vm(100, text);
	poison_conf();
	ck_assert_msg(vm_config_read(ctx, 100, &conf) == -EBADMSG, "'%s' should be rejected", value);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "%s:2: hostpci7: %s", path, what);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 1);
}

START_TEST(bad_address)
{
	assert_bad("0000:00:1f.3/remove", "invalid PCI address '0000:00:1f.3/remove'");
	assert_bad("0000:00:1f.3;../../0000:00:1f.6", "invalid PCI address '../../0000:00:1f.6'");
	assert_bad("host=zz:00.0", "invalid PCI address 'zz:00.0'");
	assert_bad("0000:00:20.0", "invalid PCI address '0000:00:20.0'");
	assert_bad("0000:00:02.0;", "invalid PCI address ''");
	assert_bad("0000:00:02.0;;0000:00:02.1", "invalid PCI address ''");
	assert_bad("0000:00:02.0 ,pcie=1", "invalid PCI address '0000:00:02.0 '");
	assert_bad("01:00.0.1", "invalid PCI address '01:00.0.1'");
	assert_bad("usb", "invalid PCI address 'usb'");
}
END_TEST

/* The value parser refuses an empty value; a config line without one is skipped (empty_hostpci_skipped). */
START_TEST(bad_empty)
{
	struct vm_hostpci h;

	ck_assert_int_eq(vm_hostpci_parse("", &h), -EBADMSG);
	ck_assert_int_eq(vm_hostpci_parse("   ", &h), -EBADMSG);
}
END_TEST

START_TEST(bad_host_and_mapping)
{
	assert_bad("0000:00:02.0,mapping=igpu", "both host and mapping are set");
	assert_bad("mapping=igpu,host=0000:00:02.0", "both host and mapping are set");
}
END_TEST

START_TEST(bad_neither)
{
	assert_bad("pcie=1,x-vga=1", "neither host nor mapping is set");
	assert_bad(",,", "neither host nor mapping is set");
	assert_bad("romfile=igpu-uhd630.rom,legacy-igd=1", "neither host nor mapping is set");
}
END_TEST

START_TEST(bad_options)
{
	assert_bad("0000:00:02.0,0000:00:1f.3", "option 'host' given twice");
	assert_bad("host=0000:00:02.0,0000:00:1f.3", "option 'host' given twice");
	assert_bad("0000:00:02.0,pcie=1,pcie=0", "option 'pcie' given twice");
	assert_bad("0000:00:02.0,pcie=2", "option 'pcie' is not a boolean: '2'");
	assert_bad("0000:00:02.0,legacy-igd=enabled", "option 'legacy-igd' is not a boolean: 'enabled'");
	assert_bad("0000:00:02.0,rombar= 0", "option 'rombar' is not a boolean: ' 0'");
	assert_bad("0000:00:02.0,x-vga=", "option 'x-vga' has no value");
	assert_bad("host=", "option 'host' has no value");
	assert_bad("0000:00:02.0,=1", "option without a name in '=1'");
	assert_bad("mapping=../../etc", "invalid mapping name '../../etc'");
	assert_bad("mapping=a", "invalid mapping name 'a'");
}
END_TEST

START_TEST(bad_lines_all_reported)
{
	_cleanup_(freep) char *path = vm_path(100);

	write_vm(100, "hostpci0: 0000:00:02.0\n"
		      "hostpci1: 0000:00:1f.3/remove\n"
		      "hostpci2:\n"
		      "hostpci3: 0000:00:1f.0,mapping=pch\n"
		      "hostpci4: pcie=1\n"
		      "hostpci5: 0000:00:1f.3\n");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 100, &conf), -EBADMSG);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "%s:2: hostpci1: invalid PCI address '0000:00:1f.3/remove'", path);
	/* not an error: Proxmox skips it */
	assert_log_line(LOG_WARNING, "%s:3: ignoring hostpci2 without a value; Proxmox starts the VM without it", path);
	assert_log_line(LOG_ERR, "%s:4: hostpci3: both host and mapping are set", path);
	assert_log_line(LOG_ERR, "%s:5: hostpci4: neither host nor mapping is set", path);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 4);
}
END_TEST

/* qemu-server skips a hostpciN line without a value and starts the VM: so do we, with a warning */
START_TEST(empty_hostpci_skipped)
{
	_cleanup_(freep) char *path = vm_path(100);

	write_vm(100, "hostpci0: 0000:00:02.0\n"
		      "hostpci1:\n"
		      "hostpci2: \t \n"
		      "hostpci3: 0000:00:1f.0\n"
		      "hostpci3:\n"
		      "hostpci4: 0000:00:1f.3\n");
	ck_assert_int_eq(read_vm(100), 0);
	assert_conf("vmid=100 machine=n/a vga=n/a q35=0\n"
		    "hostpci0: 0000:00:02.0\n"
		    "hostpci3: 0000:00:1f.0\n"
		    "hostpci4: 0000:00:1f.3\n");
	assert_log_line(LOG_WARNING, "%s:2: ignoring hostpci1 without a value; Proxmox starts the VM without it", path);
	assert_log_line(LOG_WARNING, "%s:3: ignoring hostpci2 without a value; Proxmox starts the VM without it", path);
	/* a later empty line leaves the earlier value, as in qemu-server */
	assert_log_line(LOG_WARNING, "%s:5: ignoring hostpci3 without a value; Proxmox starts the VM without it", path);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 3);
}
END_TEST

/* ---- a VM that is not there ---- */

START_TEST(missing_vm)
{
	_cleanup_(freep) char *path = vm_path(999);

	install_vm(100, "esprimo-100.conf");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 999, &conf), -ENOENT);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "VM 999: cannot open %s: No such file or directory", path);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 1);
}
END_TEST

START_TEST(unreadable_vm)
{
	_cleanup_(freep) char *path = vm_path(100);

	tu_mkdir_p(root, VM_DIR "/100.conf");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 100, &conf), -EISDIR);
	assert_conf_poisoned();
	/* refused at the open, before any read */
	assert_log_line(LOG_ERR, "VM 100: cannot open %s: Is a directory", path);
}
END_TEST

/* ---- mappings: mapping=NAME through etc/pve/mapping/pci.cfg for this node ---- */

static void set_hostname(const char *text)
{
	tu_write_file(root, "etc/hostname", text);
}

static char *cfg_path(void)
{
	return tu_path(root, PCI_CFG);
}

START_TEST(mapping_on_pve)
{
	install_vm(100, "mapped-100.conf");
	install(PCI_CFG, "pci.cfg");
	install("etc/hostname", "hostname"); /* pve.example.org */
	ck_assert_int_eq(read_vm(100), 0);
	/* "a;b": all of them, in order */
	assert_conf("vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02.0 mapping=igpu legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f.0;0000:00:1f.3 mapping=pch-audio\n");
	assert_no_warnings();
}
END_TEST

START_TEST(mapping_on_pve2)
{
	install_vm(100, "mapped-100.conf");
	install(PCI_CFG, "pci.cfg");
	set_hostname("pve2\n");
	ck_assert_int_eq(read_vm(100), 0);
	/* pve2 maps the whole slot 00:1f */
	assert_conf("vmid=100 machine=pc-i440fx-9.2 vga=none q35=0\n"
		    "hostpci0: 0000:00:02.0 mapping=igpu legacy-igd romfile=igpu-uhd630.rom\n"
		    "hostpci1: 0000:00:1f mapping=pch-audio\n");
	ck_assert(!conf.hostpci[1].addrs[0].has_func);
	assert_no_warnings();
}
END_TEST

START_TEST(mapping_no_entry_for_node)
{
	_cleanup_(freep) char *cfg = cfg_path();

	install_vm(100, "mapped-100.conf");
	install(PCI_CFG, "pci.cfg");
	set_hostname("pve3.example.org\n");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 100, &conf), -ENXIO);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "mapping 'igpu' has no entry for node 'pve3' in %s", cfg);
	assert_log_line(LOG_ERR, "mapping 'pch-audio' has no entry for node 'pve3' in %s", cfg);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 2);
}
END_TEST

START_TEST(mapping_not_defined)
{
	_cleanup_(freep) char *cfg = cfg_path();

	write_vm(100, "hostpci0: mapping=igpu\nhostpci1: mapping=nic\n");
	install(PCI_CFG, "pci.cfg");
	install("etc/hostname", "hostname");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 100, &conf), -ENXIO);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "mapping 'nic' is not defined in %s", cfg);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 1);
}
END_TEST

START_TEST(mapping_file_missing)
{
	_cleanup_(freep) char *cfg = cfg_path();

	install_vm(100, "mapped-100.conf");
	install("etc/hostname", "hostname");
	poison_conf();
	ck_assert_int_eq(vm_config_read(ctx, 100, &conf), -ENXIO);
	assert_conf_poisoned();
	assert_log_line(LOG_ERR, "mapping 'igpu' is not defined in %s", cfg);
	assert_log_line(LOG_ERR, "mapping 'pch-audio' is not defined in %s", cfg);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 2);
}
END_TEST

/* vm_mapping_resolve on a pci.cfg text; "" when it fails (and then *ret untouched) */
static char *resolve(const char *cfg_text, const char *node, const char *name, int expect)
{
	_cleanup_(freep) char *cfg = cfg_path();
	struct pci_addr sentinel = { .domain = 0x4242 }, *v = &sentinel;
	size_t n = 4242;
	char *s;

	if (cfg_text)
		tu_write_file(root, PCI_CFG, cfg_text);
	ck_assert_int_eq(vm_mapping_resolve(ctx, cfg, node, name, &v, &n), expect);
	if (expect < 0) {
		ck_assert_ptr_eq(v, &sentinel);
		ck_assert_uint_eq(n, 4242);
		return strdup("");
	}
	s = tu_addrs_join(v, n, " ");
	free(v);
	return s;
}

static void assert_resolves(const char *text, const char *node, const char *name, const char *want)
{
	_cleanup_(freep) char *got = resolve(text, node, name, 0);

	ck_assert_str_eq(got, want);
}

static void assert_unresolved(const char *text, const char *node, const char *name, int expect)
{
	_cleanup_(freep) char *got = resolve(text, node, name, expect);
}

START_TEST(mapping_resolve_fixture)
{
	_cleanup_(freep) char *cfg = cfg_path();

	install(PCI_CFG, "pci.cfg");
	assert_resolves(NULL, "pve", "igpu", "0000:00:02.0");
	assert_resolves(NULL, "pve", "pch-audio", "0000:00:1f.0 0000:00:1f.3");
	assert_resolves(NULL, "pve2", "igpu", "0000:00:02.0");
	assert_resolves(NULL, "pve2", "pch-audio", "0000:00:1f");
	/* names and nodes compare exactly */
	assert_unresolved(NULL, "PVE", "igpu", -ENXIO);
	assert_unresolved(NULL, "pve", "IGPU", -ENXIO);
	assert_unresolved(NULL, "pve", "igp", -ENXIO);
	assert_log_line(LOG_ERR, "mapping 'igpu' has no entry for node 'PVE' in %s", cfg);
	assert_log_line(LOG_ERR, "mapping 'IGPU' is not defined in %s", cfg);
	assert_log_line(LOG_ERR, "mapping 'igp' is not defined in %s", cfg);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 3);
}
END_TEST

START_TEST(mapping_resolve_syntax)
{
	_cleanup_(freep) char *cfg = cfg_path();
	const char *text =
		"# a comment line\n"                                             /* 1 */
		"\n"                                                             /* 2 */
		"igpu\n"                                                         /* 3 */
		"  # indented comment, the section goes on\n"                    /* 4 */
		"\tmap node=pve,path=0000:00:02.0,id=8086:3e92\n"                /* 5 */
		"\tmap path=0000:01:00.0;0000:01:00.1,node=pve,id=10de:1c82\n"   /* 6 alternative */
		"    map   node=pve2,path=0000:00:02.0,id=8086:3e92   \n"        /* 7 */
		"\tmap node=pve,path=0000:00:1f.3/remove,id=8086:a348\n"         /* 8 bad path */
		"\tmap node=pve,id=8086:a348\n"                                  /* 9 no path */
		"\tmap pve,path=0000:00:1f.3\n"                                  /* 10 no key */
		"\tmap node=pve,node=pve2,path=0000:00:1f.3\n"                   /* 11 twice */
		"\tmap\n"                                                        /* 12 */
		"nic\n"                                                          /* 13 no empty line */
		"\tmap node=pve,path=0000:00:1f.6,id=8086:15bb\n"                /* 14 still igpu's */
		"\n"                                                             /* 15 */
		"audio\n"                                                        /* 16 */
		"\tmap node=pve,path=0000:00:1f.3,id=8086:a348\n"                /* 17 */
		"\n"                                                             /* 18 */
		"audio\n"                                                        /* 19 the later wins */
		"\tmap node=pve,path=00:1f.3;00:1f.0,id=8086:a348\n"             /* 20 */
		"\n"                                                             /* 21 */
		"bad id!\n"                                                      /* 22 not a header */
		"\tmap node=pve,path=0000:00:14.0\n"                             /* 23 */
		"\n"                                                             /* 24 */
		"x\n"                                                            /* 25 invalid ID */
		"\tmap node=pve,path=0000:00:14.0\n"                             /* 26 */
		"\n"                                                             /* 27 */
		"empty\n"                                                        /* 28 */
		"\tdescription nothing here\n";                                  /* 29 */

	/* Proxmox: several maps for the node are alternatives; we return them all, in order */
	assert_resolves(text, "pve", "igpu", "0000:00:02.0 0000:01:00.0 0000:01:00.1 0000:00:1f.6");
	assert_log_line(LOG_WARNING,
			"%s:8: mapping 'igpu': ignoring map entry: invalid PCI address "
			"'0000:00:1f.3/remove'",
			cfg);
	assert_log_line(LOG_WARNING, "%s:9: mapping 'igpu': ignoring map entry: no path=", cfg);
	assert_log_line(LOG_WARNING,
			"%s:10: mapping 'igpu': ignoring map entry: value without a key: 'pve'", cfg);
	assert_log_line(LOG_WARNING,
			"%s:11: mapping 'igpu': ignoring map entry: option 'node' given twice", cfg);
	assert_log_line(LOG_WARNING, "%s:12: mapping 'igpu': ignoring map entry: no node=", cfg);
	assert_log_line(LOG_WARNING,
			"%s:13: ignoring 'nic': a mapping starts only after an empty line", cfg);
	ck_assert_uint_eq(log_lines_upto(LOG_WARNING), 6);

	tu_log_reset(&logbuf);
	assert_resolves(NULL, "pve2", "igpu", "0000:00:02.0");
	assert_resolves(NULL, "pve", "audio", "0000:00:1f.3 0000:00:1f.0");
	assert_unresolved(NULL, "pve", "nic", -ENXIO);
	assert_log_line(LOG_ERR, "mapping 'nic' is not defined in %s", cfg);
	assert_unresolved(NULL, "pve", "x", -ENXIO);
	assert_log_line(LOG_ERR, "mapping 'x' is not defined in %s", cfg);
	assert_unresolved(NULL, "pve", "empty", -ENXIO);
	assert_log_line(LOG_ERR, "mapping 'empty' has no entry for node 'pve' in %s", cfg);
}
END_TEST

START_TEST(mapping_resolve_missing_file)
{
	_cleanup_(freep) char *cfg = cfg_path();

	assert_unresolved(NULL, "pve", "igpu", -ENXIO);
	assert_log_line(LOG_ERR, "mapping 'igpu' is not defined in %s", cfg);
	assert_unresolved("", "pve", "igpu", -ENXIO);
	ck_assert_uint_eq(log_lines_upto(LOG_DEBUG), 2);
}
END_TEST

/* ---- the node name ---- */

static char *node_name(void)
{
	char *node = NULL;

	ck_assert_int_eq(vm_node_name(ctx, &node), 0);
	ck_assert_ptr_nonnull(node);
	return node;
}

static char *uname_label(void)
{
	struct utsname u;

	ck_assert_int_eq(uname(&u), 0);
	return strndup(u.nodename, strcspn(u.nodename, "."));
}

START_TEST(node_name_from_hostname)
{
	static const struct {
		const char *text, *node;
	} cases[] = {
		{ "pve.example.org\n", "pve" },
		{ "pve2\n", "pve2" },
		{ "  pve3.lan  \nsecond-line\n", "pve3" },
		{ "pve4", "pve4" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(freep) char *node = NULL;

		set_hostname(cases[i].text);
		node = node_name();
		ck_assert_str_eq(node, cases[i].node);
	}
	install("etc/hostname", "hostname");
	{
		_cleanup_(freep) char *node = node_name();

		ck_assert_str_eq(node, "pve");
	}
}
END_TEST

START_TEST(node_name_from_uname)
{
	_cleanup_(freep) char *want = uname_label();
	_cleanup_(freep) char *path = tu_path(root, "etc/hostname");

	{
		_cleanup_(freep) char *node = node_name(); /* no etc/hostname */

		ck_assert_str_eq(node, want);
	}
	assert_log_line(LOG_DEBUG, "Cannot read %s (No such file or directory), using uname's node name",
			path);
	set_hostname("");
	{
		_cleanup_(freep) char *node = node_name();

		ck_assert_str_eq(node, want);
	}
	set_hostname("\n");
	{
		_cleanup_(freep) char *node = node_name();

		ck_assert_str_eq(node, want);
	}
}
END_TEST

/* ---- machine and vga ---- */

START_TEST(machine_q35)
{
	static const struct {
		const char *machine;
		bool q35;
	} cases[] = {
		{ "q35", true },
		{ "pc-q35-9.2+pve1", true },
		{ "pc-q35-6.1", true },
		{ "pc-q35-7.2", true },
		{ "pc-q35-8.1,viommu=intel", true },
		{ "type=q35,viommu=virtio", true },
		{ "pc", false },
		{ "pc-i440fx-9.2", false },
		{ "pc-i440fx-7.2+pve0", false },
		{ "pc,viommu=virtio", false },
		{ "viommu=intel", false }, /* no type: Proxmox's default, i440fx */
		{ "", false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		ck_assert_msg(vm_machine_is_q35(cases[i].machine) == cases[i].q35, "'%s'",
			      cases[i].machine);
	ck_assert(!vm_machine_is_q35(NULL));
}
END_TEST

START_TEST(machine_and_vga_values)
{
	static const struct {
		const char *text, *expected;
	} cases[] = {
		{ "machine: pc-q35-8.1,viommu=intel\nvga: virtio,memory=64\n",
		  "vmid=100 machine=pc-q35-8.1,viommu=intel vga=virtio q35=1\n" },
		{ "vga: type=qxl,memory=32\n", "vmid=100 machine=n/a vga=qxl q35=0\n" },
		{ "vga: memory=32\n", "vmid=100 machine=n/a vga=n/a q35=0\n" },
		{ "vga: none\nmachine:\n", "vmid=100 machine=n/a vga=none q35=0\n" },
		{ "vga: serial0\nmachine: pc-i440fx-9.2\n",
		  "vmid=100 machine=pc-i440fx-9.2 vga=serial0 q35=0\n" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		write_vm(100, cases[i].text);
		ck_assert_int_eq(read_vm(100), 0);
		assert_conf(cases[i].expected);
	}
	vm_config_done(&conf);
	vm_config_done(&conf); /* twice is fine */
	vm_config_done(NULL);
}
END_TEST

/* ---- what qemu-server's newer options and syntax say ---- */

START_TEST(mdev_driver_template_and_vga_raw)
{
	/* lines as qemu-server's own test configs write them */
	write_vm(100, "hostpci0: 00:1f.1,driver=keep\n"
		      "hostpci1: 0000:00:02.0,mdev=i915-GVTg_V5_4\n"
		      "hostpci2: d0:13.0,pcie=1,driver=vfio\n"
		      "hostpci3: 1234:f0:13\n"
		      "hostpci4: 10000:e1:00.0;10000:e1:00.1\n"
		      "template: 1\n"
		      "vga: none,clipboard=vnc\n");
	ck_assert_int_eq(read_vm(100), 0);
	ck_assert_uint_eq(conf.n_hostpci, 5);
	ck_assert(conf.hostpci[0].driver_keep);
	ck_assert_ptr_null(conf.hostpci[0].mdev);
	ck_assert_str_eq(conf.hostpci[1].mdev, "i915-GVTg_V5_4");
	ck_assert(!conf.hostpci[1].driver_keep);
	ck_assert(!conf.hostpci[2].driver_keep);
	ck_assert_str_eq(PCI_ADDR_STR(&conf.hostpci[3].addrs[0]), "1234:f0:13");
	/* a VMD domain (5 hex digits), a list: one alternative of two addresses */
	ck_assert_uint_eq(conf.hostpci[4].n_alts, 1);
	ck_assert_uint_eq(conf.hostpci[4].alt_ends[0], 2);
	ck_assert_str_eq(PCI_ADDR_STR(&conf.hostpci[4].addrs[1]), "10000:e1:00.1");
	ck_assert(conf.is_template);
	ck_assert_str_eq(conf.vga, "none");
	ck_assert_str_eq(conf.vga_raw, "none,clipboard=vnc");

	write_vm(100, "template: 0\nhostpci0: 00:02.0\n");
	ck_assert_int_eq(read_vm(100), 0);
	ck_assert(!conf.is_template);
	ck_assert_ptr_null(conf.vga_raw);

	assert_bad("0000:00:02.0,driver=nouveau", "option 'driver' is 'vfio' or 'keep', not 'nouveau'");
	assert_bad("0000:00:02.0,mdev=../x", "invalid mdev type '../x'");
	assert_bad("123456789:00:02.0", "invalid PCI address '123456789:00:02.0'");
}
END_TEST

START_TEST(mapping_alternatives)
{
	_cleanup_(freep) char *cfg = cfg_path();
	_cleanup_(freep) struct pci_addr *v = NULL;
	_cleanup_(freep) size_t *ends = NULL;
	_cleanup_(freep) int *groups = NULL;
	size_t n = 0, n_alts = 0, k;
	const struct pci_addr *alt;

	tu_write_file(root, PCI_CFG,
		      "someNic\n"
		      "\tmap node=localhost,path=0000:07:10.0,id=8086:1520,iommugroup=2\n"
		      "\tmap node=other,path=0000:07:10.1,id=8086:1520,iommugroup=2\n"
		      "\tmap node=localhost,path=0000:07:10.4;0000:07:10.5,id=8086:1520,iommugroup=3\n");
	ck_assert_int_eq(vm_mapping_resolve_alts(ctx, cfg, "localhost", "someNic", &v, &n, &ends, &groups,
						 &n_alts), 0);
	/* each map line for this node is one alternative; its path list stays together */
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(n_alts, 2);
	ck_assert_uint_eq(ends[0], 1);
	ck_assert_uint_eq(ends[1], 3);
	ck_assert_int_eq(groups[0], 2);
	ck_assert_int_eq(groups[1], 3);

	tu_write_file(root, "etc/hostname", "localhost\n");
	write_vm(100, "hostpci0: mapping=someNic\n");
	ck_assert_int_eq(read_vm(100), 0);
	ck_assert_uint_eq(conf.hostpci[0].n_alts, 2);
	alt = vm_hostpci_alt(&conf.hostpci[0], 1, &k);
	ck_assert_uint_eq(k, 2);
	ck_assert_str_eq(PCI_ADDR_STR(&alt[0]), "0000:07:10.4");
	ck_assert_str_eq(PCI_ADDR_STR(&alt[1]), "0000:07:10.5");
	alt = vm_hostpci_alt(&conf.hostpci[0], 0, &k);
	ck_assert_uint_eq(k, 1);
	ck_assert_str_eq(PCI_ADDR_STR(&alt[0]), "0000:07:10.0");
}
END_TEST

/* ---- the suite ---- */

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *vmconf_suite(void)
{
	Suite *s = suite_create("vmconf");
	TCase *tc;

	tc = tcase(s, "seed configs");
	tcase_add_test(tc, seed_hp_elitedesk_working);
	tcase_add_test(tc, seed_hp_elitedesk_final);
	tcase_add_test(tc, seed_hp_elitedesk_original);
	tcase_add_test(tc, seed_n100);
	tcase_add_test(tc, seed_esprimo);
	tcase_add_test(tc, seed_guide_q35);
	tcase_add_test(tc, seed_guide_i440fx);
	tcase_add_test(tc, seed_guide_q35_args_only);

	tc = tcase(s, "only the current config");
	tcase_add_test(tc, snapshot_section_ignored);
	tcase_add_test(tc, description_and_snapshot);
	tcase_add_test(tc, pending_section_ignored);
	tcase_add_test(tc, any_bracket_line_ends_config);

	tc = tcase(s, "config lines");
	tcase_add_test(tc, line_syntax);
	tcase_add_test(tc, hostpci_indexes);
	tcase_add_test(tc, all_sixteen);

	tc = tcase(s, "hostpci values");
	tcase_add_test(tc, host_key_and_lists);
	tcase_add_test(tc, hostpci_parse_direct);

	tc = tcase(s, "malformed hostpci");
	tcase_add_test(tc, bad_address);
	tcase_add_test(tc, bad_empty);
	tcase_add_test(tc, bad_host_and_mapping);
	tcase_add_test(tc, bad_neither);
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, bad_lines_all_reported);
	tcase_add_test(tc, empty_hostpci_skipped);

	tc = tcase(s, "missing VM");
	tcase_add_test(tc, missing_vm);
	tcase_add_test(tc, unreadable_vm);

	tc = tcase(s, "mappings");
	tcase_add_test(tc, mapping_on_pve);
	tcase_add_test(tc, mapping_on_pve2);
	tcase_add_test(tc, mapping_no_entry_for_node);
	tcase_add_test(tc, mapping_not_defined);
	tcase_add_test(tc, mapping_file_missing);

	tc = tcase(s, "pci.cfg");
	tcase_add_test(tc, mapping_resolve_fixture);
	tcase_add_test(tc, mapping_resolve_syntax);
	tcase_add_test(tc, mapping_resolve_missing_file);

	tc = tcase(s, "node name");
	tcase_add_test(tc, node_name_from_hostname);
	tcase_add_test(tc, node_name_from_uname);

	tc = tcase(s, "machine and vga");
	tcase_add_test(tc, machine_q35);
	tcase_add_test(tc, machine_and_vga_values);

	tc = tcase(s, "qemu-server options");
	tcase_add_test(tc, mdev_driver_template_and_vga_raw);
	tcase_add_test(tc, mapping_alternatives);
	return s;
}

TESTSUITE_MAIN(vmconf_suite)
