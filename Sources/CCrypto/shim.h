#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

/* Small inline shims for OpenSSL macros and variadic functions that do not import into Swift. */

static inline void fedattr_openssl_free(void *p) { OPENSSL_free(p); }

/* Bytes held by a memory BIO; returns the length and sets *data (owned by the BIO). */
static inline long fedattr_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

/* A fresh ECDSA key on NIST P-256 (prime256v1), or NULL. */
static inline EVP_PKEY *fedattr_ec_generate_p256(void) { return EVP_EC_gen("P-256"); }

static inline int fedattr_mbstring_utf8(void) { return MBSTRING_UTF8; }

/* GENERAL_NAMES (e.g. a subjectAltName extension) as count / type / string value. */
static inline GENERAL_NAMES *fedattr_x509_subject_alt_names(const X509 *x) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
}
static inline int fedattr_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline int fedattr_general_name_type(const GENERAL_NAMES *names, int i) {
    return sk_GENERAL_NAME_value(names, i)->type;
}
/* The IA5String (DNS, email, URI) or OCTET STRING (IP) of entry i; NULL for other types. */
static inline const ASN1_STRING *fedattr_general_name_string(const GENERAL_NAMES *names, int i) {
    GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
    switch (name->type) {
    case GEN_DNS: return name->d.dNSName;
    case GEN_EMAIL: return name->d.rfc822Name;
    case GEN_URI: return name->d.uniformResourceIdentifier;
    case GEN_IPADD: return name->d.iPAddress;
    default: return NULL;
    }
}
static inline void fedattr_general_names_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline unsigned long fedattr_xn_flag_rfc2253(void) { return XN_FLAG_RFC2253; }
