/* STAND_IN(name): defines an exported function `name` that takes no parameters and returns 0,
 * the body of every function in wedge's library stand-ins (vm-images/stand_ins.h).
 *
 * Under the x86-64 System V ABI a callee may ignore the arguments it is passed (variadic ones
 * included), and 0 in rax reads as a NULL pointer, a 0 int or a 0 long alike: each stand-in
 * answers what its real library answers for "failed" (OpenSSL), "success, nothing to do"
 * (GnuTLS's init, sd_notify without $NOTIFY_SOCKET) or "none". The image builder uses a
 * stand-in library only after `ldd -r` has shown it resolves every symbol a program needs. */
#ifndef WEDGE_STAND_IN_H
#define WEDGE_STAND_IN_H

#define STAND_IN(name) \
  long name(void);     \
  long name(void) { return 0; }

#endif
