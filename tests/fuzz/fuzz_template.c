/*
 * libFuzzer target for examples/ctrlink/template.c.
 *
 * Input: a template, then optionally a NUL byte and a JSON document to render it over (a fixed
 * `docker inspect`-like document when there is no NUL).  Besides the sanitizers, it checks the
 * contract of template_render: the return codes, and *out / *err set exactly when they should.
 *
 * Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iexamples/ctrlink \
 *     examples/ctrlink/template.c tests/fuzz/fuzz_template.c -lcjson -o /tmp/fuzz_template
 *   /tmp/fuzz_template -max_total_time=60 -timeout=10
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static const char DOC[] =
	"{\"Id\":\"4f1c0a9e2b7d\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\","
	"\"Running\":true,\"Pid\":4242,\"ExitCode\":0,\"StartedAt\":\"2026-11-28T11:14:41.5Z\"},"
	"\"HostConfig\":{\"Links\":[\"/db:/web/db\"],\"CapAdd\":null,"
	"\"PortBindings\":{\"5000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"}]}},"
	"\"Config\":{\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"ExposedPorts\":{\"5000/tcp\":{}},"
	"\"Labels\":{\"a\":\"1\",\"b\":\"x y\"},\"F\":1.5,\"N\":-3,\"E\":[]},"
	"\"NetworkSettings\":{\"Ports\":{"
	"\"5000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"80\"}],\"5432/tcp\":null},"
	"\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.3\",\"Aliases\":null}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *tmpl = malloc(tlen + 1);
	if (!tmpl)
		return 0;
	memcpy(tmpl, data, tlen);
	tmpl[tlen] = '\0';

	cJSON *doc = nul ? cJSON_ParseWithLength((const char *)nul + 1, size - tlen - 1)
			 : cJSON_Parse(DOC);

	char *out = NULL, *err = NULL;
	int rc = template_render(tmpl, doc, &out, &err);
	if (rc != 0 && rc != -EINVAL && rc != -EDOM && rc != -E2BIG && rc != -ENOMEM)
		abort();
	if ((rc == 0) != (out != NULL))
		abort();
	if (rc == 0 && err != NULL)
		abort();
	if (rc != 0 && rc != -ENOMEM && err == NULL)
		abort();
	if (out && strlen(out) > TEMPLATE_MAX_OUTPUT)
		abort();

	free(out);
	free(err);
	cJSON_Delete(doc);
	free(tmpl);
	return 0;
}
