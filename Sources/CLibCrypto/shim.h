#ifndef TAKEVAULT_CLIBCRYPTO_SHIM_H
#define TAKEVAULT_CLIBCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for one job: AES-256-GCM over whole chunks, written straight into the
   caller's buffer. swift-crypto allocates a fresh Data for every ciphertext, which on 4 MiB chunks
   costs several times the encryption itself (measured 0.4-0.8 GB/s against OpenSSL's 4.4 GB/s).
   The GCM control codes are macros over EVP_CIPHER_CTX_ctrl; they are wrapped here. */
#include <openssl/evp.h>

static inline int takevault_gcm_set_iv_length(EVP_CIPHER_CTX *ctx, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, length, NULL);
}

static inline int takevault_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
}

static inline int takevault_gcm_set_tag(EVP_CIPHER_CTX *ctx, const unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag);
}
#endif
