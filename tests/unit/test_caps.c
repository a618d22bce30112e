/* Unit tests for lib/core/caps.c: Docker's default capability set and --cap-add / --cap-drop.
 * One TAP point per table row. */
#include <stdlib.h>
#include <string.h>

#include "core/caps.h"
#include "tap.h"
#include "core/util.h"

#define DEF 0xa80405fbull           /* Docker's default set less NET_RAW */
#define ALL ((1ull << 41) - 1)      /* CHOWN (0) to CHECKPOINT_RESTORE (40) */
#define BIT(n) (1ull << (n))
#define NET_ADMIN 12
#define CHOWN 0
#define MKNOD 27

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct caps_case {
	const char *what;
	const char *const *add, *const *drop;
	uint64_t want;
	const char *msg; /* refused: the message */
};

static const struct caps_case cases[] = {
	{ "no lists: the default set", NULL, NULL, DEF, NULL },
	{ "empty lists: the default set", L(NULL), L(NULL), DEF, NULL },
	{ "add NET_ADMIN", L("NET_ADMIN"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add net_admin", L("net_admin"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add cap_net_admin", L("cap_net_admin"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add CAP_NET_ADMIN", L("CAP_NET_ADMIN"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add Cap_Net_Admin", L("Cap_Net_Admin"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add one already in the set", L("CHOWN"), NULL, DEF, NULL },
	{ "add twice", L("NET_ADMIN", "cap_net_admin"), NULL, DEF | BIT(NET_ADMIN), NULL },
	{ "add the first and the last capability", L("CHOWN", "CHECKPOINT_RESTORE"), NULL,
	  DEF | BIT(40), NULL },
	{ "drop CHOWN", NULL, L("CHOWN"), DEF & ~BIT(CHOWN), NULL },
	{ "drop cap_mknod", NULL, L("cap_mknod"), DEF & ~BIT(MKNOD), NULL },
	{ "NET_RAW is not in the default set: add it back", L("NET_RAW"), NULL, DEF | BIT(13),
	  NULL },
	{ "drop NET_RAW: nothing to drop", NULL, L("NET_RAW"), DEF, NULL },
	{ "drop one not in the set", NULL, L("SYS_ADMIN"), DEF, NULL },
	{ "drop then add the same: added (drop first, then add)", L("CHOWN"), L("CHOWN"), DEF,
	  NULL },
	{ "add ALL", L("ALL"), NULL, ALL, NULL },
	{ "add all (any case)", L("all"), NULL, ALL, NULL },
	{ "add ALL, drop NET_ADMIN", L("ALL"), L("NET_ADMIN"), ALL & ~BIT(NET_ADMIN), NULL },
	{ "add ALL among others", L("SYS_TIME", "ALL"), NULL, ALL, NULL },
	{ "drop ALL", NULL, L("ALL"), 0, NULL },
	{ "drop All, add NET_ADMIN", L("NET_ADMIN"), L("All"), BIT(NET_ADMIN), NULL },
	{ "drop ALL and CHOWN, add CHOWN", L("CHOWN"), L("ALL", "CHOWN"), BIT(CHOWN), NULL },
	{ "add ALL and drop ALL: everything", L("ALL"), L("ALL"), ALL, NULL },
	{ "unknown in add", L("FOO"), NULL, 0, "unknown capability: \"FOO\"" },
	{ "unknown in drop, shown as given", NULL, L("cap_foo"), 0,
	  "unknown capability: \"cap_foo\"" },
	{ "unknown after a good one", L("NET_ADMIN", "NET_ADMINS"), NULL, 0,
	  "unknown capability: \"NET_ADMINS\"" },
	{ "empty name", L(""), NULL, 0, "unknown capability: \"\"" },
	{ "CAP_ alone", NULL, L("CAP_"), 0, "unknown capability: \"CAP_\"" },
	{ "CAP_ALL is not ALL", L("CAP_ALL"), NULL, 0, "unknown capability: \"CAP_ALL\"" },
	{ "CAP_ twice", L("CAP_CAP_CHOWN"), NULL, 0, "unknown capability: \"CAP_CAP_CHOWN\"" },
	{ "a space", L("NET ADMIN"), NULL, 0, "unknown capability: \"NET ADMIN\"" },
	{ "padded with a space", L(" CHOWN"), NULL, 0, "unknown capability: \" CHOWN\"" },
	{ "newline not echoed raw", L("NET_ADMIN\n"), NULL, 0,
	  "unknown capability: \"NET_ADMIN?\"" },
	{ "escape sequence not echoed raw", NULL, L("\x1b[31mX\r"), 0,
	  "unknown capability: \"?[31mX?\"" },
	{ "tab and DEL", L("\tA\x7f"), NULL, 0, "unknown capability: \"?A?\"" },
	{ "a valid name padded past the table's buffer",
	  L("CHOWN_________________________________"), NULL, 0,
	  "unknown capability: \"CHOWN_________________________________\"" },
	{ "a long name is cut",
	  L("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAA"),
	  NULL, 0,
	  "unknown capability: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\"" },
	{ "a name just short of the cut", NULL,
	  L("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"), 0,
	  "unknown capability: \"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\"" },
};

static void test_compute(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct caps_case *c = &cases[i];
		uint64_t got = 0x5555;
		ctr_err_clear();
		int e = caps_compute(c->add, c->drop, &got);
		if (!c->msg)
			ok(e == 0 && got == c->want, "%s: %#llx (want %#llx)", c->what,
			   (unsigned long long)got, (unsigned long long)c->want);
		else
			ok(e == -EINVAL && got == 0x5555 && strcmp(ctr_err_msg(), c->msg) == 0,
			   "%s refused: %s", c->what, ctr_err_msg());
	}

	/* a 4 KiB name: cut, and the message stays short */
	char *big = malloc(4097);
	memset(big, 'x', 4096);
	big[4096] = '\0';
	const char *const add[] = { big, NULL };
	uint64_t got;
	int e = caps_compute(add, NULL, &got);
	ok(e == -EINVAL && strlen(ctr_err_msg()) < 100 &&
		   strcmp(ctr_err_msg() + strlen(ctr_err_msg()) - 4, "...\"") == 0,
	   "a 4 KiB name is cut (%zu bytes of message)", strlen(ctr_err_msg()));
	free(big);
}

static void test_default(void)
{
	is_int((long long)caps_default(), (long long)DEF, "caps_default() is 0xa80405fb (no NET_RAW)");
	is_int(caps_last(), 40, "caps_last() is CAP_CHECKPOINT_RESTORE (40)");
}

int main(void)
{
	test_default();
	test_compute();
	return done_testing();
}
