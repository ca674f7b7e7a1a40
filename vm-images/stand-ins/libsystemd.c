/* A stand-in for libsystemd.so.0 in guest images: iscsid links it only to tell systemd it is
 * ready (sd_notify), and the real library pulls in libgcrypt, libzstd, liblz4 and libcap,
 * 3 MB of pinned guest memory. There is no systemd in a wedge guest; these answer what the
 * real functions answer without $NOTIFY_SOCKET: 0, nothing sent. Parameters are ignored for
 * the reason given in libcrypto.c; the version node is set by libsystemd.map. */

#define STAND_IN(name) \
  int name(void);      \
  int name(void) { return 0; }

STAND_IN(sd_notify)
STAND_IN(sd_notifyf)
