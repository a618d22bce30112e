/* libFuzzer target: linkspec_parse(), hosts_update_alias(), linkenv_render() and env_merge()
 * on arbitrary bytes.  Aborts when an update changes the number of lines of a hosts file, when
 * a message carries a control character, or when a result breaks its contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hosts.h"
#include "core/links.h"
#include "core/names.h"

static void check_msg(void)
{
	const char *m = ctr_err_msg();
	size_t n = strlen(m);
	if (n > 1000)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] >= 0x7f)
			abort();
}

static size_t count_lf(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void fuzz_linkspec(const char *s)
{
	char *name, *alias;
	ctr_err_clear();
	int r = linkspec_parse(s, &name, &alias);
	if (r < 0) {
		if (name || alias)
			abort();
		check_msg();
		return;
	}
	const char *colon = strchr(s, ':');
	if (!colon && (strcmp(name, s) != 0 || strcmp(alias, s) != 0))
		abort();
	if (colon && (strchr(name, ':') || strchr(alias, ':')))
		abort();
	if (colon && s[0] == '/' && strchr(alias, '/'))
		abort();
	free(name);
	free(alias);
}

/* data = [split byte][alias+ip ... | content ...]: the first part is split at its first '\0' or
 * at `split` into alias and new IP. */
static void fuzz_update(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	size_t split = 1 + data[0] % (size - 1);
	char *head = strndup((const char *)data + 1, split - 1);
	char *content = strndup((const char *)data + split, size - split);
	if (!head || !content)
		goto out;
	char *ip = strchr(head, ' ');
	const char *alias = head, *new_ip = "10.0.0.1";
	if (ip) {
		*ip = '\0';
		new_ip = ip + 1;
	}
	char *res = NULL;
	ctr_err_clear();
	int r = hosts_update_alias(content, alias, new_ip, &res);
	if (r < 0) {
		if (res)
			abort();
		check_msg();
	} else if (count_lf(res) != count_lf(content)) {
		abort(); /* a line was injected or lost */
	}
	free(res);
out:
	free(head);
	free(content);
}

static void fuzz_env(const uint8_t *data, size_t size)
{
	/* Ports from pairs of bytes (proto from the high bits), env from the text. */
	size_t np = size / 3 < 64 ? size / 3 : 64;
	struct ctr_port ports[64];
	for (size_t i = 0; i < np; i++)
		ports[i] = (struct ctr_port){ (uint16_t)(data[3 * i] | data[3 * i + 1] << 8),
					      (uint8_t)(data[3 * i + 2] % 4) };
	char *text = strndup((const char *)data, size);
	if (!text)
		return;
	/* child env: the text split at '\n' */
	const char *envv[16];
	size_t ne = 0;
	for (char *p = text; ne < 15 && p;) {
		envv[ne++] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	envv[ne] = NULL;
	struct link_env_input in = { envv[0], "172.17.0.2", ports, np, envv + 1 };
	char **env = NULL;
	ctr_err_clear();
	int r = linkenv_render(&in, &env);
	if (r < 0) {
		if (env)
			abort();
		check_msg();
	} else {
		for (size_t i = 0; env[i]; i++)
			if (!strchr(env[i], '='))
				abort();
		if (env_merge(&env, envv) < 0)
			abort();
	}
	strv_free(env);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	if (!s)
		return 0;
	fuzz_linkspec(s);
	free(s);
	fuzz_update(data, size);
	fuzz_env(data, size);
	return 0;
}
