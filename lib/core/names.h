/* Container IDs, container names, link aliases, bridge, host and interface names: the one
 * validation of each (a table of rules per kind of name), the random `adjective_surname`
 * generator, and the one escaping used to echo untrusted text in error messages.  Pure code: no system calls, no
 * global mutable state; randomness only through the injected callback. */
#ifndef CTR_NAMES_H
#define CTR_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container-link.h"
#include "core/util.h"

/* CTR_NAME_MAX (container-link.h): the longest container name we accept, in characters, not
 * counting the optional leading "/".  Docker has no limit; ours keeps names usable in file
 * names and link names. */
/* Longest link alias we accept, in characters. */
#define CTR_ALIAS_MAX 128
/* Size of a buffer that always holds a generated name and its NUL. */
#define CTR_GEN_NAME_MAX 40
/* Size of a buffer for msg_escape() that echoes at most 128 characters and "...". */
#define CTR_ESC_BUF 132

/* Longest interface name the kernel takes (IFNAMSIZ - 1), bridges included. */
#define CTR_IFNAME_MAX 15

/* Whether s is a full container ID: exactly CTR_ID_LEN lowercase hex digits.  At most `max`
 * bytes of s are read, so that a fixed-size field without a NUL can be checked (64 digits
 * filling a 64-byte field are an ID); pass SIZE_MAX for a NUL-terminated string.  NULL: false. */
bool id_valid(const char *s, size_t max);
/* Whether s is 1 to CTR_ID_LEN lowercase hex digits: text that may be an ID prefix.  NULL:
 * false. */
bool id_prefix_valid(const char *s);

/* The kinds of names, each with its rule (one table in names.c):
 *   NAME_CONTAINER   Docker's: one leading "/" is stripped, the rest matches
 *                    ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$, at most CTR_NAME_MAX characters
 *   NAME_ALIAS       ours (Docker has none): ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, 1 to CTR_ALIAS_MAX;
 *                    no "/" is stripped (linkspec_parse() strips it where Docker does)
 *   NAME_BRIDGE      [a-zA-Z0-9_.-], 1 to CTR_IFNAME_MAX, not "." or ".."
 *   NAME_HOSTNAME,   RFC 1123: labels of [a-zA-Z0-9-], not starting or ending with '-', joined
 *   NAME_DOMAINNAME  by '.', 1 to 63 characters
 *   NAME_IFNAME      the kernel's dev_valid_name(): 1 to CTR_IFNAME_MAX bytes, no control
 *                    character, '/', ':', space, and no '%' (the kernel would take "veth%d" as
 *                    a pattern); not "." or ".." */
enum name_kind {
	NAME_CONTAINER,
	NAME_ALIAS,
	NAME_BRIDGE,
	NAME_HOSTNAME,
	NAME_DOMAINNAME,
	NAME_IFNAME,
};

/* Whether `s` follows the rule of `kind`, without a message.  NULL: false. */
bool name_ok(enum name_kind kind, const char *s);

/* 0 if `s` follows the rule of `kind`; else -EINVAL with the message of that kind, in which
 * <s> is the text as given (a container name's leading "/" included), escaped and cut by
 * msg_escape().  NULL counts as "".
 *   NAME_CONTAINER  "Invalid container name (<s>), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
 *                   "Invalid container name (<s>), at most 128 characters are allowed"
 *   NAME_ALIAS      "Invalid link alias (<s>), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
 *                   "Invalid link alias (<s>), at most 128 characters are allowed"
 *                   "Invalid link alias: empty"
 *   NAME_BRIDGE     "invalid bridge name "<s>": 1 to 15 characters of [a-zA-Z0-9_.-], not
 *                   "." or "..""
 *   NAME_HOSTNAME   "invalid hostname "<s>": use 1 to 63 letters, digits, '-' and '.'
 *                   (RFC 1123)"  (NAME_DOMAINNAME: "invalid domain name ...")
 *   NAME_IFNAME     "an interface name is empty"
 *                   "interface name "<first 15 bytes>..." is too long: at most 15 bytes"
 *                   "interface name contains a control character"
 *                   "invalid interface name "<s>" (no '/', ':', '%', spaces, "." or "..")" */
int name_check(enum name_kind kind, const char *s);

/* name_check(NAME_CONTAINER, name) and name_check(NAME_ALIAS, alias). */
int name_validate(const char *name);
int alias_validate(const char *alias);

/* Generate a free `adjective_surname` name into buf (len bytes; CTR_GEN_NAME_MAX always
 * suffices).  Like Docker: up to 6 attempts, each drawing a fresh adjective and surname;
 * attempts 1 to 5 append one digit 0-9.  A name for which taken(name, taken_ctx) returns true is
 * skipped (taken may be NULL: nothing is taken).  All randomness comes from rand64(rand_ctx).
 * Returns 0; -EEXIST when all 6 were taken (the caller then uses the short ID); -EINVAL for a
 * NULL buf/rand64; -ERANGE when buf is too small for the name drawn. */
int name_generate(char *buf, size_t len, uint64_t (*rand64)(void *), void *rand_ctx,
		  bool (*taken)(const char *name, void *taken_ctx), void *taken_ctx);

/* Copy `s` into buf (len bytes, at least 8) so that it is safe to embed in a message; returns
 * buf.  The library's one escaper, for every message that echoes untrusted text: printable
 * ASCII stays as it is (so ordinary names print exactly as Docker prints them); \t \n \r \v \f
 * \a \b become those escapes, every other byte below 0x20, 0x7f and every byte >= 0x80 becomes
 * \xNN.  If the escaped text does not fit in len - 4 characters it is cut at a whole escape and
 * "..." is appended.  NULL is written as "". */
const char *msg_escape(const char *s, char *buf, size_t len);
/* msg_escape() into a buffer that lives until the end of the enclosing block:
 * ctr_err(-EINVAL, "bad "%s"", SHOWN(s)). */
#define SHOWN(s) msg_escape((s), (char[CTR_ESC_BUF]){ 0 }, CTR_ESC_BUF)

/* The word lists (exposed for the tests). */
extern const char *const names_adjectives[];
extern const size_t names_n_adjectives;
extern const char *const names_surnames[];
extern const size_t names_n_surnames;

#endif
