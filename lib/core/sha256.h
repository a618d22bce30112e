/* SHA-256 (FIPS 180-4), pure: an endpoint's ID is the digest of its owner's text. */
#ifndef CTR_SHA256_H
#define CTR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of `len` bytes at `data`. */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* The same as 64 lower-case hex digits and a NUL (hex has room for 65). */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
