/* A stand-in for GnuTLS's libgnutls.so.30 in guest images. nbd-server links it for NBD over
 * TLS, which wedge never configures (the in-guest server of transport = "nbd-loopback" serves
 * plain NBD on the guest's own loopback); the real library and what it pulls in (p11-kit,
 * libunistring, nettle, gmp, libidn2, libtasn1) are 7 MB of pinned guest RAM. Each function
 * answers 0, GnuTLS's GNUTLS_E_SUCCESS or a NULL pointer: initialising succeeds and nothing
 * else is ever reached without a TLS configuration (stand_in.h); the version node is set by
 * libgnutls.map. */

#include "stand_in.h"

STAND_IN(gnutls_bye)
STAND_IN(gnutls_certificate_allocate_credentials)
STAND_IN(gnutls_certificate_get_peers)
STAND_IN(gnutls_certificate_server_set_request)
STAND_IN(gnutls_certificate_set_verify_function)
STAND_IN(gnutls_certificate_set_x509_key_file)
STAND_IN(gnutls_certificate_set_x509_trust_file)
STAND_IN(gnutls_certificate_type_get)
STAND_IN(gnutls_certificate_verify_peers2)
STAND_IN(gnutls_credentials_set)
STAND_IN(gnutls_deinit)
STAND_IN(gnutls_dh_params_generate2)
STAND_IN(gnutls_dh_params_init)
STAND_IN(gnutls_error_is_fatal)
STAND_IN(gnutls_global_init)
STAND_IN(gnutls_handshake)
STAND_IN(gnutls_init)
STAND_IN(gnutls_priority_init)
STAND_IN(gnutls_priority_set)
STAND_IN(gnutls_record_recv)
STAND_IN(gnutls_record_send)
STAND_IN(gnutls_sec_param_to_pk_bits)
STAND_IN(gnutls_strerror)
STAND_IN(gnutls_transport_set_int2)
STAND_IN(gnutls_x509_crt_get_activation_time)
STAND_IN(gnutls_x509_crt_get_expiration_time)
STAND_IN(gnutls_x509_crt_import)
STAND_IN(gnutls_x509_crt_init)
