/* Unit tests for lib/core/sha256.c against the FIPS 180-4 examples and block-edge lengths
 * (values from coreutils' sha256sum). */
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"
#include "tap.h"

struct sha_case {
	const char *what;
	const char *in;
	size_t repeat; /* the input repeated this many times (0: once) */
	const char *want;
};

static const struct sha_case cases[] = {
	{ "empty", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "abc", 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "two blocks (FIPS example)", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "55 bytes: the length fits the first block", "a", 55,
	  "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	{ "56 bytes: the length needs a second block", "a", 56,
	  "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
	{ "64 bytes: one whole block", "a", 64,
	  "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	{ "a million a", "a", 1000000,
	  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct sha_case *c = &cases[i];
		size_t n = c->repeat ? c->repeat : 1, l = strlen(c->in);
		char *buf = malloc(n * l + 1), hex[65];
		for (size_t k = 0; k < n; k++)
			memcpy(buf + k * l, c->in, l);
		sha256_hex(buf, n * l, hex);
		free(buf);
		ok(strcmp(hex, c->want) == 0, "%s: %s", c->what, hex);
	}
	return done_testing();
}
