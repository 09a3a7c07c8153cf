/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test fixtures: a root's lib/modules/<release>/ as depmod leaves it, for
 * libkmod to read: modules.alias and modules.dep (text) and their indexes
 * modules.alias.bin and modules.dep.bin (libkmod looks aliases up in the
 * binary index only), written here in kmod's index format (magic
 * 0xB007F457, version 2.1, a trie of big-endian nodes) without depmod or
 * any .ko file.
 *
 * text: one "alias PATTERN MODULE" line each, as in modules.alias
 * ("alias pci:v00008086d0000A348sv*sd*bc*sc*i* snd_hda_intel"); every
 * module named gets a modules.dep line "kernel/MODULE.ko:". Lines starting
 * with '#' are comments.
 */
#pragma once

/* Returns 0 or -errno. Malformed text aborts the running Check test. */
int modtree_build(const char *root, const char *release, const char *text);
