/* Unit tests for cni/cniconf.c: CNI network configurations in, port specs, addresses and CNI
 * errors out.  One TAP point per row (and per checked field). */
#include <stdlib.h>
#include <string.h>

#include "cniconf.h"
#include "tap.h"

#define PREV                                                                                   \
	"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": ["                        \
	"{\"name\": \"cni0\", \"mac\": \"aa:bb:cc:dd:ee:01\"},"                                  \
	"{\"name\": \"veth1\", \"mac\": \"aa:bb:cc:dd:ee:02\"},"                                 \
	"{\"name\": \"eth0\", \"mac\": \"aa:bb:cc:dd:ee:03\", \"sandbox\": \"/run/netns/p\"}],"  \
	"\"ips\": [{\"address\": \"10.88.0.5/16\", \"gateway\": \"10.88.0.1\", \"interface\": 2}," \
	"{\"address\": \"fd00:88::5/64\", \"interface\": 2}]}"

struct conf_case {
	const char *what;
	const char *cmd;
	const char *json;
	int code;            /* 0: parses */
	const char *err_has; /* a part of the message */
	const char *specs;   /* the -p specs joined by " " */
	const char *ipv4, *subnet4, *subnet6, *bridge, *state_dir, *keep;
};

static const struct conf_case cases[] = {
	{ "a podman-style ADD", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"podman\", \"type\": \"ctrlink-portmap\","
	  "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 8080, \"containerPort\": 80,"
	  "\"protocol\": \"tcp\", \"hostIP\": \"\"}, {\"hostPort\": 5353, \"containerPort\": 53,"
	  "\"protocol\": \"UDP\"}]}, " PREV "}",
	  0, NULL, "8080:80/tcp 5353:53/udp", "10.88.0.5", "10.88.0.0/16", "fd00:88::/64", "cni0",
	  "/run/ctrlink/cni/podman", NULL },
	{ "host addresses, IPv6 in brackets, sctp, no host port", "ADD",
	  "{\"cniVersion\": \"1.1.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": ["
	  "{\"hostPort\": 81, \"containerPort\": 80, \"hostIP\": \"127.0.0.1\"},"
	  "{\"hostPort\": 82, \"containerPort\": 80, \"hostIP\": \"::1\"},"
	  "{\"containerPort\": 90, \"protocol\": \"sctp\"},"
	  "{\"hostPort\": 0, \"containerPort\": 91, \"hostIP\": \"10.0.0.1\"}]}, " PREV "}",
	  0, NULL, "127.0.0.1:81:80/tcp [::1]:82:80/tcp :90/sctp 10.0.0.1::91/tcp", "10.88.0.5",
	  NULL, NULL, NULL, NULL, NULL },
	{ "stateDir and bridge given", "ADD",
	  "{\"cniVersion\": \"0.4.0\", \"name\": \"n\", \"stateDir\": \"/srv/st\", \"bridge\": "
	  "\"br9\", \"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 1, \"containerPort\": "
	  "2}]}, " PREV "}",
	  0, NULL, "1:2/tcp", NULL, NULL, NULL, "br9", "/srv/st", NULL },
	{ "no port mappings: no prevResult needed", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\"}", 0, NULL, "", NULL, NULL, NULL, NULL,
	  NULL, NULL },
	{ "0.3.1 addresses with version fields and no interface index", "ADD",
	  "{\"cniVersion\": \"0.3.1\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2}]}, \"prevResult\": {\"interfaces\": "
	  "[{\"name\": \"br0\"}], \"ips\": [{\"version\": \"4\", \"address\": "
	  "\"192.168.7.9/24\"}]}}",
	  0, NULL, "1:2/tcp", "192.168.7.9", "192.168.7.0/24", "", "br0", NULL, NULL },
	{ "GC's valid attachments become owners", "GC",
	  "{\"cniVersion\": \"1.1.0\", \"name\": \"n\", \"cni.dev/valid-attachments\": ["
	  "{\"containerID\": \"abc\", \"ifname\": \"eth0\"}, {\"containerID\": \"d\", "
	  "\"ifname\": \"net1\"}]}",
	  0, NULL, "", NULL, NULL, NULL, NULL, NULL, "abc/eth0 d/net1" },
	{ "not JSON", "ADD", "{", CNI_ERR_DECODE, "not JSON" },
	{ "unknown version", "ADD", "{\"cniVersion\": \"2.0.0\", \"name\": \"n\"}", CNI_ERR_VERSION,
	  "2.0.0" },
	{ "0.2.0 is too old", "ADD", "{\"cniVersion\": \"0.2.0\", \"name\": \"n\"}",
	  CNI_ERR_VERSION, "0.3.1 to 1.1.0" },
	{ "no cniVersion", "ADD", "{\"name\": \"n\"}", CNI_ERR_CONFIG, "cniVersion" },
	{ "bad network name", "ADD", "{\"cniVersion\": \"1.0.0\", \"name\": \"a/b\"}",
	  CNI_ERR_CONFIG, "name" },
	{ "containerPort out of range", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 70000}]}, " PREV "}",
	  CNI_ERR_CONFIG, "portMappings[0].containerPort" },
	{ "hostPort not a number", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2}, {\"hostPort\": \"x\", \"containerPort\": 2}]}, "
	  PREV "}",
	  CNI_ERR_CONFIG, "portMappings[1].hostPort" },
	{ "bad protocol", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2, \"protocol\": \"icmp\"}]}, " PREV "}",
	  CNI_ERR_CONFIG, "protocol \"icmp\"" },
	{ "bad hostIP", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2, \"hostIP\": \"1.2.3\"}]}, " PREV "}",
	  CNI_ERR_CONFIG, "hostIP \"1.2.3\"" },
	{ "ports without prevResult", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2}]}}",
	  CNI_ERR_CONFIG, "prevResult is missing" },
	{ "prevResult without IPv4", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"runtimeConfig\": {\"portMappings\": "
	  "[{\"hostPort\": 1, \"containerPort\": 2}]}, \"prevResult\": {\"interfaces\": "
	  "[{\"name\": \"br0\"}], \"ips\": [{\"address\": \"fd00::5/64\"}]}}",
	  CNI_ERR_CONFIG, "no IPv4 address" },
	{ "a bad address in prevResult", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"prevResult\": {\"ips\": [{\"address\": "
	  "\"10.0.0.5\"}]}}",
	  CNI_ERR_CONFIG, "prevResult.ips[0].address" },
	{ "conditionsV4 refused", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"conditionsV4\": [\"-s\", \"1.2.3.4\"]}",
	  CNI_ERR_FIELD, "conditionsV4" },
	{ "empty conditions are fine", "ADD",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"conditionsV6\": []}", 0, NULL, "" },
	{ "bad backend", "ADD", "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"backend\": \"pf\"}",
	  CNI_ERR_CONFIG, "backend" },
	{ "relative stateDir", "DEL",
	  "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"stateDir\": \"run/x\"}", CNI_ERR_CONFIG,
	  "stateDir" },
	{ "snat not a bool", "ADD", "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"snat\": 1}",
	  CNI_ERR_CONFIG, "snat" },
	{ "GC attachment without ifname", "GC",
	  "{\"cniVersion\": \"1.1.0\", \"name\": \"n\", \"cni.dev/valid-attachments\": "
	  "[{\"containerID\": \"abc\"}]}",
	  CNI_ERR_CONFIG, "valid-attachments[0]" },
};

static void joined(char **v, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			strncat(buf, " ", len - strlen(buf) - 1);
		strncat(buf, v[i], len - strlen(buf) - 1);
	}
}

static void field(const char *what, const char *name, const char *got, const char *want)
{
	if (want)
		ok(strcmp(got, want) == 0, "%s: %s \"%s\" (want \"%s\")", what, name, got, want);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct conf_case *t = &cases[i];
		struct cni_conf c;
		struct cni_error err = { 0, "" };
		int r = cni_conf_parse(t->json, t->cmd, "eth0", &c, &err);
		if (t->code) {
			ok(r < 0 && err.code == t->code && strstr(err.msg, t->err_has),
			   "%s: code %d \"%s\"", t->what, err.code, err.msg);
			continue;
		}
		if (!ok(r == 0, "%s: parses (%s)", t->what, err.msg))
			continue;
		char buf[1024];
		joined(c.specs, buf, sizeof buf);
		field(t->what, "specs", buf, t->specs);
		field(t->what, "ipv4", c.ipv4, t->ipv4);
		field(t->what, "subnet4", c.subnet4, t->subnet4);
		field(t->what, "subnet6", c.subnet6, t->subnet6);
		field(t->what, "bridge", c.bridge, t->bridge);
		field(t->what, "stateDir", c.state_dir, t->state_dir);
		joined(c.keep, buf, sizeof buf);
		field(t->what, "keep", buf, t->keep);
		cni_conf_free(&c);
	}

	/* the ADD result is prevResult under the configuration's version */
	struct cni_conf c;
	struct cni_error err;
	int r = cni_conf_parse("{\"cniVersion\": \"1.1.0\", \"name\": \"n\", " PREV "}", "ADD",
			       "eth0", &c, &err);
	char *res = r == 0 ? cni_result_json(&c) : NULL;
	ok(res && strstr(res, "\"cniVersion\":\t\"1.1.0\"") && strstr(res, "fd00:88::5/64") &&
		   !strstr(res, "1.0.0"),
	   "ADD result: prevResult with cniVersion 1.1.0");
	free(res);
	if (r == 0)
		cni_conf_free(&c);
	char *v = cni_version_json(NULL);
	ok(v && strstr(v, "\"0.3.1\"") && strstr(v, "\"1.1.0\"") && !strstr(v, "0.2.0"),
	   "VERSION lists 0.3.1 to 1.1.0");
	free(v);
	struct cni_error e2 = { CNI_ERR_PORT_TAKEN, "port 80 is taken" };
	char *ej = cni_error_json("1.0.0", &e2);
	ok(ej && strstr(ej, "\"code\":\t100") && strstr(ej, "port 80 is taken"),
	   "error document: code and msg");
	free(ej);
	return done_testing();
}
