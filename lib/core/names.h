/* Container names and link aliases: validation, the random `adjective_surname` generator, and
 * the escaping used to echo untrusted text in error messages.  Pure code: no system calls, no
 * global mutable state; randomness only through the injected callback. */
#ifndef CTR_NAMES_H
#define CTR_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Longest container name we accept, in characters, not counting the optional leading "/".
 * Docker has no limit; ours keeps names usable in file names and link names. */
#define CTR_NAME_MAX 128
/* Longest link alias we accept, in characters. */
#define CTR_ALIAS_MAX 128
/* Size of a buffer that always holds a generated name and its NUL. */
#define CTR_GEN_NAME_MAX 40
/* Size of a buffer for msg_escape() that echoes at most 128 characters and "...". */
#define CTR_ESC_BUF 132

/* Docker's rule: one leading "/" is stripped, the rest must match
 * ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ and be at most CTR_NAME_MAX characters long.
 * Returns 0, or -EINVAL with
 *   "Invalid container name (<name>), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"  or
 *   "Invalid container name (<name>), at most 128 characters are allowed"
 * where <name> is the name as given (leading "/" included), escaped and cut by msg_escape().
 * NULL counts as "". */
int name_validate(const char *name);

/* Our rule for link aliases (Docker has none): ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, 1 to
 * CTR_ALIAS_MAX characters.  No "/" is stripped: the caller strips it first where Docker does
 * (a one-part --link value, see linkspec_parse()).  Returns 0, or -EINVAL with
 *   "Invalid link alias (<alias>), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
 *   "Invalid link alias (<alias>), at most 128 characters are allowed"  or
 *   "Invalid link alias: empty". */
int alias_validate(const char *alias);

/* Generate a free `adjective_surname` name into buf (len bytes; CTR_GEN_NAME_MAX always
 * suffices).  Like Docker: up to 6 attempts, each drawing a fresh adjective and surname;
 * attempts 1 to 5 append one digit 0-9.  A name for which taken(name, taken_ctx) returns true is
 * skipped (taken may be NULL: nothing is taken).  All randomness comes from rand64(rand_ctx).
 * Returns 0; -EEXIST when all 6 were taken (the caller then uses the short ID); -EINVAL for a
 * NULL buf/rand64; -ERANGE when buf is too small for the name drawn. */
int name_generate(char *buf, size_t len, uint64_t (*rand64)(void *), void *rand_ctx,
		  bool (*taken)(const char *name, void *taken_ctx), void *taken_ctx);

/* Copy `s` into buf (len bytes, at least 8) so that it is safe to embed in a message: printable
 * ASCII stays as it is (so ordinary names print exactly as Docker prints them); \t \n \r \v \f
 * \a \b become those escapes, every other byte below 0x20, 0x7f and every byte >= 0x80 becomes
 * \xNN.  If the escaped text does not fit in len - 4 characters it is cut at a whole escape and
 * "..." is appended.  NULL is written as "". */
void msg_escape(const char *s, char *buf, size_t len);

/* The word lists (exposed for the tests). */
extern const char *const names_adjectives[];
extern const size_t names_n_adjectives;
extern const char *const names_surnames[];
extern const size_t names_n_surnames;

#endif
