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

void msg_escape(const char *s, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	buf[0] = '\0';
	if (!s || len < 8)
		return;
	size_t room = len - 4, n = 0; /* keep 3 bytes for "..." and 1 for the NUL */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[4];
		size_t el = escape_one(*p, e);
		if (n + el > room) {
			memcpy(buf + n, "...", 4);
			return;
		}
		memcpy(buf + n, e, el);
		n += el;
	}
	buf[n] = '\0';
}

/* ---- validation -------------------------------------------------------------------------- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_name_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* 0 if s matches ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ with at least `min` and at most `max` characters;
 * 1 if a character is wrong or it is too short; 2 if the characters are right but it is too
 * long. */
static int check_chars(const char *s, size_t min, size_t max)
{
	size_t n = 0;
	if (!is_alnum(s[0]))
		return 1;
	for (; s[n]; n++)
		if (!is_name_char(s[n]))
			return 1;
	if (n < min)
		return 1;
	return n > max ? 2 : 0;
}

#define CHARSET "[a-zA-Z0-9][a-zA-Z0-9_.-]"

int name_validate(const char *name)
{
	char esc[CTR_ESC_BUF];
	const char *s = name ? name : "";
	const char *body = s[0] == '/' ? s + 1 : s;
	int r = check_chars(body, 2, CTR_NAME_MAX);
	if (r == 0)
		return 0;
	msg_escape(s, esc, sizeof esc);
	if (r == 2)
		return ctr_err(-EINVAL,
			       "Invalid container name (%s), at most %d characters are allowed",
			       esc, CTR_NAME_MAX);
	return ctr_err(-EINVAL, "Invalid container name (%s), only " CHARSET " are allowed", esc);
}

int alias_validate(const char *alias)
{
	char esc[CTR_ESC_BUF];
	if (!alias || !alias[0])
		return ctr_err(-EINVAL, "Invalid link alias: empty");
	int r = check_chars(alias, 1, CTR_ALIAS_MAX);
	if (r == 0)
		return 0;
	msg_escape(alias, esc, sizeof esc);
	if (r == 2)
		return ctr_err(-EINVAL,
			       "Invalid link alias (%s), at most %d characters are allowed", esc,
			       CTR_ALIAS_MAX);
	return ctr_err(-EINVAL, "Invalid link alias (%s), only " CHARSET " are allowed", esc);
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
