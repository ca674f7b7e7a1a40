/* A stand-in for libsystemd.so.0 in guest images: iscsid links it only to tell systemd it is
 * ready (sd_notify), and the real library pulls in libgcrypt, libzstd, liblz4 and libcap,
 * 3 MB of pinned guest memory. There is no systemd in a wedge guest; these answer what the
 * real functions answer without $NOTIFY_SOCKET: 0, nothing sent (stand_in.h); the version
 * node is set by libsystemd.map. */

#include "stand_in.h"

STAND_IN(sd_notify)
STAND_IN(sd_notifyf)
