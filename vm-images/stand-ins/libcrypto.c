/* A stand-in for OpenSSL's libcrypto.so.3 in guest images, 4.7 MB smaller than the real one.
 * open-iscsi's iscsid and iscsiadm (and libisns, libkmod under them) link libcrypto for CHAP,
 * iSNS security and module signatures, none of which a wedge guest uses: wedge's tgtd target
 * asks for no authentication, there is no iSNS server, and modules are loaded, not inspected.
 * Every function here fails the way OpenSSL reports failure (NULL or 0), so a path that did
 * reach one would fail cleanly instead of crashing.
 *
 * The functions take no parameters on purpose: under the x86-64 System V ABI a callee may
 * ignore the arguments it is passed, and every caller reads a NULL pointer or a 0 int from
 * the same register. The image builder uses this library only after `ldd -r` has shown that
 * it resolves every symbol a program needs (vm-images/stand_ins.h); the version node is set
 * by libcrypto.map. */

#define STAND_IN(name) \
  void* name(void);    \
  void* name(void) { return 0; }

STAND_IN(ASN1_INTEGER_to_BN)
STAND_IN(ASN1_STRING_get0_data)
STAND_IN(ASN1_STRING_length)
STAND_IN(BIO_free)
STAND_IN(BIO_new_mem_buf)
STAND_IN(BN_GENCB_free)
STAND_IN(BN_GENCB_new)
STAND_IN(BN_GENCB_set_old)
STAND_IN(BN_bn2bin)
STAND_IN(BN_free)
STAND_IN(BN_num_bits)
STAND_IN(DSA_free)
STAND_IN(DSA_generate_key)
STAND_IN(DSA_generate_parameters_ex)
STAND_IN(DSA_get0_key)
STAND_IN(DSA_new)
STAND_IN(ERR_func_error_string)
STAND_IN(ERR_get_error)
STAND_IN(ERR_reason_error_string)
STAND_IN(EVP_DigestFinal_ex)
STAND_IN(EVP_DigestInit)
STAND_IN(EVP_DigestInit_ex)
STAND_IN(EVP_DigestUpdate)
STAND_IN(EVP_MD_CTX_free)
STAND_IN(EVP_MD_CTX_new)
STAND_IN(EVP_PKEY_assign)
STAND_IN(EVP_PKEY_free)
STAND_IN(EVP_PKEY_get0_DSA)
STAND_IN(EVP_PKEY_get_base_id)
STAND_IN(EVP_PKEY_get_bits)
STAND_IN(EVP_PKEY_get_size)
STAND_IN(EVP_PKEY_new)
STAND_IN(EVP_SignFinal)
STAND_IN(EVP_VerifyFinal)
STAND_IN(EVP_md5)
STAND_IN(EVP_sha1)
STAND_IN(EVP_sha256)
STAND_IN(EVP_sha3_256)
STAND_IN(OBJ_obj2nid)
STAND_IN(OPENSSL_init_crypto)
STAND_IN(OPENSSL_sk_value)
STAND_IN(PEM_read_DSAparams)
STAND_IN(PEM_read_PUBKEY)
STAND_IN(PEM_read_PrivateKey)
STAND_IN(PEM_write_DSAparams)
STAND_IN(PEM_write_PUBKEY)
STAND_IN(PEM_write_PrivateKey)
STAND_IN(PKCS7_SIGNER_INFO_get0_algs)
STAND_IN(PKCS7_free)
STAND_IN(PKCS7_get_signer_info)
STAND_IN(RAND_bytes)
STAND_IN(X509_ALGOR_get0)
STAND_IN(X509_NAME_ENTRY_get_data)
STAND_IN(X509_NAME_ENTRY_get_object)
STAND_IN(X509_NAME_entry_count)
STAND_IN(X509_NAME_get_entry)
STAND_IN(d2i_DSA_PUBKEY)
STAND_IN(d2i_PKCS7_bio)
STAND_IN(i2d_DSA_PUBKEY)
