#include "core/names.h"

#include <stdio.h>
#include <string.h>

/* ---- escaping for messages --------------------------------------------------------------- */

/* The escape for byte c into out (at least 4 bytes); returns its length. */
static size_t escape_one(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char e = 0;
	switch (c) {
	case '\a': e = 'a'; break;
	case '\b': e = 'b'; break;
	case '\f': e = 'f'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	case '\v': e = 'v'; break;
	default: break;
	}
	if (e) {
		out[0] = '\\';
		out[1] = e;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	return 4;
}

const char *msg_escape(const char *s, char *buf, size_t len)
{
	if (!buf || len == 0)
		return buf;
	buf[0] = '\0';
	if (!s || len < 8)
		return buf;
	size_t room = len - 4, n = 0; /* keep 3 bytes for "..." and 1 for the NUL */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[4];
		size_t el = escape_one(*p, e);
		if (n + el > room) {
			memcpy(buf + n, "...", 4);
			return buf;
		}
		memcpy(buf + n, e, el);
		n += el;
	}
	buf[n] = '\0';
	return buf;
}

/* ---- container IDs ----------------------------------------------------------------------- */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* How many lowercase hex digits s starts with, reading at most max bytes. */
static size_t hex_run(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && is_lower_hex(s[n]))
		n++;
	return n;
}

bool id_valid(const char *s, size_t max)
{
	if (!s)
		return false;
	size_t n = hex_run(s, max < CTR_ID_LEN + 1 ? max : CTR_ID_LEN + 1);
	return n == CTR_ID_LEN && (n == max || s[n] == '\0');
}

bool id_prefix_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = hex_run(s, CTR_ID_LEN + 1);
	return n > 0 && n <= CTR_ID_LEN && s[n] == '\0';
}

/* ---- names -------------------------------------------------------------------------------- */

/* Which characters a kind of name is made of. */
enum charset {
	CS_DOCKER, /* [a-zA-Z0-9][a-zA-Z0-9_.-]*  (Docker's container names) */
	CS_WORD,   /* [a-zA-Z0-9_.-]*, any of them first */
	CS_HOST,   /* RFC 1123: labels of [a-zA-Z0-9-], not starting or ending with '-', joined by '.' */
	CS_IFNAME, /* the kernel's dev_valid_name(): no '/', ':', white space; and no '%' */
};

/* The one table of rules: what each kind of name may be. */
static const struct name_rule {
	enum charset cs;
	size_t min, max;  /* in bytes, after the optional "/" */
	bool strip_slash; /* one leading "/" is not part of the name */
	bool no_dots;     /* "." and ".." are refused */
} rules[] = {
	[NAME_CONTAINER] = { CS_DOCKER, 2, CTR_NAME_MAX, true, false },
	[NAME_ALIAS] = { CS_DOCKER, 1, CTR_ALIAS_MAX, false, false },
	[NAME_BRIDGE] = { CS_WORD, 1, CTR_IFNAME_MAX, false, true },
	[NAME_HOSTNAME] = { CS_HOST, 1, 63, false, false },
	[NAME_DOMAINNAME] = { CS_HOST, 1, 63, false, false },
	[NAME_IFNAME] = { CS_IFNAME, 1, CTR_IFNAME_MAX, false, true },
};

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* Whether s[i] (of n bytes) may stand where it stands. */
static bool char_ok(enum charset cs, const char *s, size_t i, size_t n)
{
	char c = s[i];
	switch (cs) {
	case CS_DOCKER:
		if (i == 0)
			return is_alnum(c);
		/* fall through */
	case CS_WORD:
		return is_alnum(c) || c == '_' || c == '.' || c == '-';
	case CS_HOST:
		if (c == '.')
			return i > 0 && i + 1 < n && s[i - 1] != '.' && s[i - 1] != '-' &&
			       s[i + 1] != '-';
		if (c == '-')
			return i > 0 && i + 1 < n;
		return is_alnum(c);
	case CS_IFNAME:
		return !is_ctl(c) && !strchr("/:% ", c);
	}
	return false;
}

enum verdict { V_OK, V_EMPTY, V_CHARS, V_LONG, V_CTL };

static enum verdict judge(const struct name_rule *r, const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return V_EMPTY;
	if (r->cs == CS_IFNAME) { /* the kernel's order of complaints */
		if (n > r->max)
			return V_LONG;
		for (size_t i = 0; i < n; i++)
			if (is_ctl(s[i]))
				return V_CTL;
	}
	if (r->no_dots && (strcmp(s, ".") == 0 || strcmp(s, "..") == 0))
		return V_CHARS;
	for (size_t i = 0; i < n; i++)
		if (!char_ok(r->cs, s, i, n))
			return V_CHARS;
	if (n < r->min)
		return V_CHARS;
	return n > r->max ? V_LONG : V_OK;
}

static const char *body_of(enum name_kind kind, const char *s)
{
	return rules[kind].strip_slash && s[0] == '/' ? s + 1 : s;
}

bool name_ok(enum name_kind kind, const char *s)
{
	return s && judge(&rules[kind], body_of(kind, s)) == V_OK;
}

#define CHARSET "[a-zA-Z0-9][a-zA-Z0-9_.-]"

int name_check(enum name_kind kind, const char *name)
{
	const char *s = name ? name : "";
	const struct name_rule *r = &rules[kind];
	enum verdict v = judge(r, body_of(kind, s));
	if (v == V_OK)
		return 0;
	char esc[CTR_ESC_BUF];
	msg_escape(s, esc, sizeof esc);
	switch (kind) {
	case NAME_CONTAINER:
	case NAME_ALIAS: {
		const char *what = kind == NAME_ALIAS ? "link alias" : "container name";
		if (v == V_EMPTY && kind == NAME_ALIAS)
			return ctr_err(-EINVAL, "Invalid link alias: empty");
		if (v == V_LONG)
			return ctr_err(-EINVAL, "Invalid %s (%s), at most %zu characters are allowed",
				       what, esc, r->max);
		return ctr_err(-EINVAL, "Invalid %s (%s), only " CHARSET " are allowed", what, esc);
	}
	case NAME_BRIDGE:
		return ctr_err(-EINVAL, "invalid bridge name \"%s\": 1 to %zu characters of "
					"[a-zA-Z0-9_.-], not \".\" or \"..\"", esc, r->max);
	case NAME_HOSTNAME:
	case NAME_DOMAINNAME:
		return ctr_err(-EINVAL,
			       "invalid %s \"%s\": use 1 to %zu letters, digits, '-' and '.' (RFC 1123)",
			       kind == NAME_HOSTNAME ? "hostname" : "domain name", esc, r->max);
	case NAME_IFNAME:
		if (v == V_EMPTY)
			return ctr_err(-EINVAL, "an interface name is empty");
		if (v == V_LONG) {
			char cut[CTR_IFNAME_MAX + 1];
			memcpy(cut, s, sizeof cut - 1);
			cut[sizeof cut - 1] = '\0';
			msg_escape(cut, esc, sizeof esc);
			return ctr_err(-EINVAL, "interface name \"%s...\" is too long: at most %zu bytes",
				       esc, r->max);
		}
		if (v == V_CTL)
			return ctr_err(-EINVAL, "interface name contains a control character");
		return ctr_err(-EINVAL,
			       "invalid interface name \"%s\" (no '/', ':', '%%', spaces, \".\" or \"..\")",
			       esc);
	}
	return ctr_err(-EINVAL, "unknown kind of name %d", (int)kind);
}

int name_validate(const char *name)
{
	return name_check(NAME_CONTAINER, name);
}

int alias_validate(const char *alias)
{
	return name_check(NAME_ALIAS, alias);
}

/* ---- the generator ----------------------------------------------------------------------- */

/* Temperaments and moods. */
const char *const names_adjectives[] = {
	"affable", "agreeable", "amiable", "amused", "animated", "ardent", "artful", "astute",
	"attentive", "blithe", "breezy", "bright", "buoyant", "calm", "candid", "carefree",
	"caring", "cheerful", "cheery", "chipper", "chirpy", "composed", "considerate", "content",
	"cordial", "courageous", "courteous", "curious", "daring", "dauntless", "decisive",
	"devoted", "diligent", "dutiful", "earnest", "easygoing", "ebullient", "energetic",
	"enthusiastic", "exuberant", "fearless", "forthright", "frank", "genial", "gentle",
	"giddy", "gleeful", "grateful", "gregarious", "hearty", "helpful", "honest", "humble",
	"idealistic", "imaginative", "industrious", "jaunty", "joyful", "jubilant",
	"lighthearted", "lively", "loyal", "meditative", "mellow", "merry", "mindful", "nimble",
	"patient", "perky", "persistent", "placid", "playful", "pleasant", "plucky", "poised",
	"polite", "proud", "punctual", "radiant", "resilient", "resolute", "sanguine", "sensible",
	"sincere", "sociable", "spirited", "spry", "steadfast", "steady", "sunny", "tactful",
	"tenacious", "thoughtful", "tranquil", "unflappable", "valiant", "vivacious",
	"warmhearted", "whimsical", "witty", "zesty",
};
const size_t names_n_adjectives = ARRAY_SIZE(names_adjectives);

/* Scientists, mathematicians, engineers and hackers. */
const char *const names_surnames[] = {
	"abelson", "adleman", "agnesi", "aho", "aiken", "akasaki", "allen", "ampere",
	"archimedes", "armstrong", "arrhenius", "atanasoff", "atkinson", "avogadro", "babbage",
	"backus", "banneker", "bardeen", "bartik", "bellard", "bernoulli", "bhabha", "blodgett",
	"bohr", "boltzmann", "boole", "bose", "bostic", "boyle", "brattain", "bricklin", "brooks",
	"burnell", "cannon", "cantor", "carmack", "carson", "carver", "catmull", "cauchy",
	"cavendish", "cerf", "chandrasekhar", "chaum", "chebyshev", "church", "clarke", "conway",
	"cook", "copernicus", "corbato", "cori", "crick", "curie", "daemen", "dalton", "darwin",
	"davies", "dedekind", "diffie", "dijkstra", "dirac", "doudna", "drew", "dwork", "easley",
	"eckert", "edison", "einstein", "elion", "engelbart", "erdos", "esaki", "euclid", "euler",
	"faraday", "farnsworth", "felsenstein", "fermat", "fermi", "feynman", "floyd",
	"forrester", "fourier", "franklin", "fredkin", "galilei", "galois", "gauss", "germain",
	"goddard", "goldberg", "goldwasser", "golomb", "goodall", "gosling", "gosper",
	"greenblatt", "hamilton", "hamming", "hartmanis", "hellman", "hennessy", "herschel",
	"hertz", "hertzfeld", "hilbert", "hodgkin", "hollerith", "hooke", "hopper", "hubble",
	"huffman", "huygens", "hypatia", "jackson", "jemison", "johnson", "joule", "kahan",
	"kahn", "kalman", "kare", "karp", "kay", "kelvin", "kepler", "kernighan", "khorana",
	"kilby", "kildall", "kleene", "knuth", "kolmogorov", "kovalevskaya", "kwolek", "lagrange",
	"lamarr", "lamport", "lampson", "laplace", "lavoisier", "leavitt", "lebesgue", "leibniz",
	"licklider", "liskov", "lovelace", "lyapunov", "margulis", "markov", "mauchly", "maxwell",
	"mcclintock", "mcilroy", "mckusick", "meitner", "mendel", "mendeleev", "merkle",
	"metcalfe", "micali", "milner", "mirzakhani", "moolenaar", "moore", "morse", "naur",
	"needham", "neumann", "newton", "noether", "noyce", "nyquist", "ochoa", "ohm", "ossanna",
	"ousterhout", "pascal", "pasteur", "patterson", "pauling", "perlman", "pike", "planck",
	"poincare", "postel", "raman", "ramanujan", "raskin", "ride", "riemann", "ritchie",
	"rivest", "rubin", "rutherford", "sagan", "saha", "salk", "sammet", "sanger", "shamir",
	"shannon", "somerville", "stallman", "steele", "stibitz", "stroustrup", "sussman",
	"sutherland", "tarjan", "tarski", "tesla", "thacker", "thompson", "torvalds",
	"tsiolkovsky", "turing", "ullman", "vaughan", "viterbi", "volta", "wegener", "wheeler",
	"wiener", "wilkes", "wirth", "wozniak", "yalow", "yao", "yukawa", "zimmermann", "zuse",
};
const size_t names_n_surnames = ARRAY_SIZE(names_surnames);

#define GEN_ATTEMPTS 6

int name_generate(char *buf, size_t len, uint64_t (*rand64)(void *), void *rand_ctx,
		  bool (*taken)(const char *name, void *taken_ctx), void *taken_ctx)
{
	if (!buf || !rand64)
		return ctr_err(-EINVAL, "name_generate: no buffer or no random source");
	for (int attempt = 0; attempt < GEN_ATTEMPTS; attempt++) {
		char name[CTR_GEN_NAME_MAX];
		const char *adj = names_adjectives[rand64(rand_ctx) % names_n_adjectives];
		const char *sur = names_surnames[rand64(rand_ctx) % names_n_surnames];
		int n;
		if (attempt == 0)
			n = snprintf(name, sizeof name, "%s_%s", adj, sur);
		else
			n = snprintf(name, sizeof name, "%s_%s%u", adj, sur,
				     (unsigned)(rand64(rand_ctx) % 10));
		if (n < 0 || (size_t)n >= sizeof name)
			return ctr_err(-ERANGE, "generated name too long"); /* lists are checked */
		if ((size_t)n >= len)
			return ctr_err(-ERANGE, "buffer too small for a generated name (%zu bytes)",
				       len);
		if (taken && taken(name, taken_ctx))
			continue;
		memcpy(buf, name, (size_t)n + 1);
		return 0;
	}
	return ctr_err(-EEXIST, "could not generate a free container name in %d attempts",
		       GEN_ATTEMPTS);
}
