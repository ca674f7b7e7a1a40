#!/bin/sh
# A private libvirtd and virtlogd for tests that stop, kill or restart the daemon, so that other
# guests on the machine never notice: /run/libvirt and /var/lib/libvirt are private to a mount
# namespace, the client socket is DIR/sock/libvirt-sock, the pid files are in DIR. The domain
# logs stay in /var/log/libvirt/qemu, where wedge reads them.
# usage: unshare -m --propagation private sh private_libvirtd.sh DIR
set -eu
dir=$1
mkdir -p "$dir/lib" "$dir/sock"
cat > "$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir/sock"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
mount -t tmpfs tmpfs /run/libvirt
mount --bind "$dir/lib" /var/lib/libvirt
mkdir -p /run/libvirt/qemu /var/lib/libvirt/qemu
virtlogd -d -p "$dir/virtlogd.pid"
libvirtd -d -p "$dir/libvirtd.pid" -f "$dir/libvirtd.conf"
