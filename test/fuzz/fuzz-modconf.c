/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line's module parameters (modprobe.blacklist=, vfio-pci.ids=)
 * and the vfio-pci ids= matcher. Input: first line the key, the rest the command line;
 * each value found is then matched as an ids= list against an Intel HDA function.
 * The rest is also read as libkmod's text of a softdep and of an options line.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/modconf.h"
#include "core/macro.h"
#include "fuzz-util.h"
#include "topology/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(freep) char *key = NULL, *cmdline = NULL, *values = NULL, *ids = NULL;
	const uint8_t *rest;
	size_t rest_size;
	struct pci_device d = {
		.vendor_id = 0x8086, .device_id = 0xa348, .subsys_vendor_id = 0x103c,
		.subsys_device_id = 0x83e0, .class_code = 0x040300,
	};

	fuzz_split(data, size, &key, &rest, &rest_size);
	cmdline = fuzz_str(rest, rest_size);
	if (modconf_cmdline_values(cmdline, key, &values) == 0 && values)
		(void)modconf_ids_match(values, &d);
	(void)modconf_ids_match(cmdline, &d);
	(void)modconf_softdep_pre_vfio(cmdline);
	if (modconf_options_ids(cmdline, &ids) == 0 && ids)
		(void)modconf_ids_match(ids, &d);
	return 0;
}
