/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A model of the kernel's PCI sysfs for the executor tests, in the spirit of
 * libvirt's tests/virpcimock.c. The library's own write path (sysfs_write:
 * open, one write, close) runs unchanged; the test binaries are linked with
 * -Wl,--wrap=write, and a write to a modelled attribute under the simulated
 * root is applied the way Linux applies it:
 *
 *   <dev>/remove          the function disappears: its directory, driver
 *                         link, netdevs (and their bridge port links), IOMMU
 *                         group membership (an emptied group goes, with its
 *                         /dev/vfio/N) and udev database entries
 *   bus/pci/rescan        every function of the "hardware" (the topology the
 *                         tree was built from) that is absent comes back, in
 *                         the lowest free IOMMU group number (split), or
 *                         with "stay@ADDR" in the group of a present function
 *                         of its slot (stays grouped), and is attached at once
 *                         (pci_bus_add_device() -> device_attach()) to the
 *                         first registered driver that matches it, whatever
 *                         drivers_autoprobe says: its driver_override went
 *                         with the removal; udev entries are written
 *   <dev>/driver_override stored ("(null)" again for "\n"); forgotten on remove
 *   drivers/X/unbind      the driver link goes (and a NIC's netdev with it)
 *   drivers/X/new_id      "VVVV DDDD": a dynamic id of X (as vfio-pci's ids=
 *                         gives too); X attaches to every unbound match
 *   bus/pci/drivers_probe an unbound function gets driver_override's driver,
 *                         else the first registered driver that matches it;
 *                         vfio-pci adds /dev/vfio/N
 *   bus/pci/drivers_autoprobe  stored, and consulted by nothing modelled here
 *
 * Drivers: registered in the order the topology first names them (a
 * device's driver=, module ... driver=, "module vfio_pci", driver NAME);
 * a driver matches a function when it is the hardware's driver= for it (its
 * static id table) or has the function's VVVV:DDDD as a dynamic id.
 *
 * Faults, a comma-separated list (sim_set_faults, or $IGD_SIM_FAULTS):
 *   OP[@ADDR]=ERR[*N]   the write fails with ERR (EBUSY, EIO, ENODEV, EPERM,
 *                       EINVAL) or "short" (one byte less written, no
 *                       effect), N times or always; OP is remove, rescan,
 *                       override, unbind, probe, autoprobe or new_id
 *   gone@ADDR           never comes back on rescan
 *   slow@ADDR=MS        comes back MS milliseconds after the rescan
 *   udev-slow@ADDR=MS   its udev database entries appear MS ms after it does
 *   stay@ADDR           comes back into a group shared with its slot
 *   stuck@ADDR          remove "succeeds" and nothing happens
 *   nobind@ADDR         drivers_probe succeeds and binds nothing
 *   take@ADDR=DRIVER    once: DRIVER takes the unbound function just before
 *                       a driver_override write lands (a module udev loads
 *                       during the bind)
 *
 * Tests call sim_start()/sim_stop(); the simulated igd-regroup binary
 * starts it from $IGD_SIM_ROOT and $IGD_SIM_TOPO in a constructor.
 */
#pragma once

/* Models root, built from the topology at topo_path (which is also the hardware). 0 or -errno. */
int sim_start(const char *root, const char *topo_path);
/* Waits for delayed re-adds, forgets everything. Safe when not started. */
void sim_stop(void);
/* Replaces the fault list. 0, or -EINVAL for a malformed spec. */
int sim_set_faults(const char *spec);
/* How many writes the model applied (or failed) per operation name, for assertions. */
unsigned sim_count(const char *op);
/* Moves a driver to the front of the registration order, as if loaded first (softdep ... pre:). */
void sim_driver_register_first(const char *driver);
/*
 * udev is busy: <root>/run/udev/queue exists from now on, as systemd-udevd
 * keeps it while events are queued; it goes ms milliseconds after the next
 * rescan (0: never).
 */
void sim_udev_queue_busy(unsigned ms);
/* driver_override, unbind and drivers_probe writes made while the queue file existed. */
unsigned sim_binds_while_queued(void);
