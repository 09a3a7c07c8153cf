#!/usr/bin/bash

#
# put `0:1f.*` into separate iommu groups
#
echo 1 > /sys/bus/pci/devices/0000\:00\:1f.0/remove
echo 1 > /sys/bus/pci/devices/0000\:00\:1f.3/remove
echo 1 > /sys/bus/pci/devices/0000\:00\:1f.4/remove
echo 1 > /sys/bus/pci/devices/0000\:00\:1f.5/remove
echo 1 > /sys/bus/pci/devices/0000\:00\:1f.6/remove
echo 1 > /sys/bus/pci/rescan

#
# `0:1f.6` is NIC. Need restart networking
#
systemctl restart networking
systemctl restart netbird

sleep 10
