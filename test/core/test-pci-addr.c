/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>

#include "core/macro.h"
#include "core/pci_addr.h"
#include "testutil.h"

static void assert_parses(const char *s, unsigned flags, const char *canonical)
{
	struct pci_addr a;
	char buf[PCI_ADDR_STRLEN];

	ck_assert_msg(pci_addr_parse(s, flags, &a) == 0, "'%s' should parse", s);
	ck_assert_str_eq(pci_addr_format(&a, buf), canonical);
}

static void assert_rejected(const char *s, unsigned flags)
{
	struct pci_addr a = { .domain = 0x1234, .bus = 0x56, .dev = 7, .func = 1, .has_func = true };

	ck_assert_msg(pci_addr_parse(s, flags, &a) == -EINVAL, "'%s' should be rejected", s);
	/* out-parameter untouched on failure */
	ck_assert_uint_eq(a.domain, 0x1234);
	ck_assert_uint_eq(a.bus, 0x56);
	ck_assert_uint_eq(a.dev, 7);
	ck_assert_uint_eq(a.func, 1);
}

START_TEST(full_form)
{
	assert_parses("0000:00:1f.3", 0, "0000:00:1f.3");
	assert_parses("0000:00:02.0", 0, "0000:00:02.0");
	assert_parses("0000:01:00.1", 0, "0000:01:00.1");
	assert_parses("ABCD:EF:1F.7", 0, "abcd:ef:1f.7");
	assert_parses("ffff:ff:1f.7", 0, "ffff:ff:1f.7");
	assert_parses("0000:00:00.0", 0, "0000:00:00.0");
}
END_TEST

START_TEST(short_forms)
{
	assert_parses("00:1f.3", 0, "0000:00:1f.3");
	assert_parses("0:1f.3", 0, "0000:00:1f.3");
	assert_parses("0:2.0", 0, "0000:00:02.0");
	assert_parses("01:00.0", 0, "0000:01:00.0");
	assert_parses("1:0.0", 0, "0000:01:00.0");
	assert_parses("ff:1f.7", 0, "0000:ff:1f.7");
}
END_TEST

START_TEST(slot_forms)
{
	struct pci_addr a;

	assert_parses("0000:00:02", PCI_ADDR_ALLOW_SLOT, "0000:00:02");
	assert_parses("00:1f", PCI_ADDR_ALLOW_SLOT, "0000:00:1f");
	assert_parses("0:2", PCI_ADDR_ALLOW_SLOT, "0000:00:02");
	assert_parses("0000:00:02.0", PCI_ADDR_ALLOW_SLOT, "0000:00:02.0");
	ck_assert_int_eq(pci_addr_parse("0000:00:02", PCI_ADDR_ALLOW_SLOT, &a), 0);
	ck_assert(!a.has_func);
	/* without the flag a slot is not an address */
	assert_rejected("0000:00:02", 0);
	assert_rejected("00:1f", 0);
}
END_TEST

START_TEST(out_of_range)
{
	assert_rejected("0000:00:20.0", 0);  /* device > 0x1f */
	assert_rejected("0000:00:1f.8", 0);  /* function > 7 */
	assert_rejected("0000:100:1f.0", 0); /* bus > 2 digits */
	assert_rejected("10000:00:1f.0", 0); /* domain > 4 digits */
	assert_rejected("00:20", PCI_ADDR_ALLOW_SLOT);
	assert_rejected("0000:00:001.0", 0);
}
END_TEST

START_TEST(long_domain)
{
	/* sysfs's and Proxmox's names behind Intel VMD: a domain of 5 or more hex digits */
	assert_parses("10000:e1:00.0", PCI_ADDR_LONG_DOMAIN, "10000:e1:00.0");
	assert_parses("10000:E1:00", PCI_ADDR_LONG_DOMAIN | PCI_ADDR_ALLOW_SLOT, "10000:e1:00");
	assert_parses("ffffffff:ff:1f.7", PCI_ADDR_LONG_DOMAIN, "ffffffff:ff:1f.7");
	assert_parses("0000:00:1f.3", PCI_ADDR_LONG_DOMAIN, "0000:00:1f.3");
	assert_parses("00:1f.3", PCI_ADDR_LONG_DOMAIN, "0000:00:1f.3");
	assert_rejected("100000000:00:1f.0", PCI_ADDR_LONG_DOMAIN); /* 9 digits */
	assert_rejected("000:00:1f.3", PCI_ADDR_LONG_DOMAIN);
	assert_rejected("0:10000:1f.3", PCI_ADDR_LONG_DOMAIN);      /* only the domain is long */
	assert_rejected("10000:00:1f.0", PCI_ADDR_ALLOW_SLOT);      /* not without the flag */
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"",
		"1f.3",
		"00:1f.",
		"00:1f.3 ",
		" 00:1f.3",
		"00:1f.3\n",
		"00:1f.3x",
		"00:1f.33",
		"000:00:1f.3",     /* domain written with 3 digits */
		"0:0:1f.3",        /* domain must be 4 digits when present */
		"0000:00:1f:3",
		"0000:00:1f.3.1",
		"0000:00:00:1f.3", /* four fields */
		"+0:1f.3",
		"-0:1f.3",
		"0x00:1f.3",
		"00:1g.3",
		"../1f.3",
		"0000:00:1f.3/remove",
		"0000:00:1f.3/../../",
		"0000/00:1f.3",
		":00:1f.3",
		"00::1f.3",
		"00:1f.-1",
		"00:1f.a",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_rejected(bad[i], 0);
		assert_rejected(bad[i], PCI_ADDR_ALLOW_SLOT);
	}
	assert_rejected(NULL, 0);
}
END_TEST

START_TEST(compare_and_slot)
{
	struct pci_addr a, b, s;

	ck_assert_int_eq(pci_addr_parse("0000:00:1f.3", 0, &a), 0);
	ck_assert_int_eq(pci_addr_parse("00:1f.6", 0, &b), 0);
	ck_assert_int_eq(pci_addr_parse("0000:00:1f", PCI_ADDR_ALLOW_SLOT, &s), 0);
	ck_assert_int_lt(pci_addr_cmp(&a, &b), 0);
	ck_assert_int_gt(pci_addr_cmp(&b, &a), 0);
	ck_assert_int_lt(pci_addr_cmp(&s, &a), 0);
	ck_assert(pci_addr_in_slot(&a, &s));
	ck_assert(pci_addr_in_slot(&b, &s));
	ck_assert(pci_addr_in_slot(&a, &a));
	ck_assert(!pci_addr_in_slot(&a, &b));
	ck_assert_int_eq(pci_addr_parse("0:1f.3", 0, &b), 0);
	ck_assert(pci_addr_equal(&a, &b));
	ck_assert_str_eq(PCI_ADDR_STR(&s), "0000:00:1f");
}
END_TEST

START_TEST(in_an_array)
{
	struct pci_addr v[3], a;

	ck_assert_int_eq(pci_addr_parse("0000:00:1f.0", 0, &v[0]), 0);
	ck_assert_int_eq(pci_addr_parse("0000:00:1f.3", 0, &v[1]), 0);
	ck_assert_int_eq(pci_addr_parse("0000:00:02.0", 0, &v[2]), 0);
	ck_assert_int_eq(pci_addr_parse("00:1f.3", 0, &a), 0);
	ck_assert(pci_addr_in(&a, v, 3));
	/* only the first n count */
	ck_assert(!pci_addr_in(&a, v, 1));
	ck_assert(!pci_addr_in(&a, v, 0));
	ck_assert(!pci_addr_in(&a, NULL, 0));
	ck_assert_int_eq(pci_addr_parse("0000:00:1f.4", 0, &a), 0);
	ck_assert(!pci_addr_in(&a, v, 3));
}
END_TEST

static Suite *pci_addr_suite(void)
{
	Suite *s = suite_create("pci_addr");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, full_form);
	tcase_add_test(tc, short_forms);
	tcase_add_test(tc, slot_forms);
	tcase_add_test(tc, out_of_range);
	tcase_add_test(tc, long_domain);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_add_test(tc, compare_and_slot);
	tcase_add_test(tc, in_an_array);
	suite_add_tcase(s, tc);
	return s;
}

TESTSUITE_MAIN(pci_addr_suite)
