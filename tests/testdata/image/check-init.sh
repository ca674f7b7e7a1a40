#!/bin/sh
# Stand-in /init for image_boot_test: does what the agent does with the image (loads
# /etc/wedge/modules.load in order, modprobes on demand, runs a copied tool), prints
# WEDGE-CHECK lines on the console, then powers off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r path params; do
  if insmod "/$path" $params; then echo "WEDGE-CHECK loaded $path"; else echo "WEDGE-CHECK failed $path"; fi
done < /etc/wedge/modules.load
modprobe nbd && [ -e /dev/nbd0 ] && echo "WEDGE-CHECK modprobe nbd ok"
[ -e /sys/class/net/eth0 ] && echo "WEDGE-CHECK eth0 present"
nbd-client --help 2>&1 | grep -q "^nbd-client version" && echo "WEDGE-CHECK nbd-client runs"
echo "WEDGE-CHECK done"
poweroff -f
