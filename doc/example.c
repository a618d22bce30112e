/*
 * example.c — the worked example of doc/api.md.
 *
 * Creates two containers, "db" and "web", links web to db under the alias "db", publishes
 * web's port 80 on host port 8080, starts both, shows what web sees of the link, inspects
 * web, and removes both again.
 *
 * Build (from the top of the source tree, after `meson setup build && ninja -C build`):
 *     gcc -Iinclude doc/example.c -Lbuild/lib -lcontainer-link \
 *         -Wl,-rpath,$PWD/build/lib -o example
 * or, against an installed library:
 *     gcc example.c $(pkg-config --cflags --libs container-link) -o example
 * Run it as root; to leave the host's network alone, inside private namespaces:
 *     unshare --net --mount --pid --fork --mount-proc --propagation private \
 *         sh -c 'mount -t tmpfs tmpfs /run; ip link set lo up; ./example'
 */
#include <container-link.h>
#include <stdio.h>
#include <string.h>

static int report(const char *what)
{
	fprintf(stderr, "example: %s: %s\n", what, ctr_last_error());
	return 1;
}

/* The first string value of "key" in a JSON text (a real program would use a JSON parser). */
static const char *field(const char *json, const char *key, char *buf, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	buf[0] = '\0';
	if (p && (p = strchr(p + strlen(pat), '"')))
		snprintf(buf, len, "%.*s", (int)strcspn(p + 1, "\""), p + 1);
	return buf;
}

int main(void)
{
	ctr_ctx *ctx;
	if (ctr_ctx_open(&ctx, NULL) < 0) /* state in /run/ctrlink, bridge ctrlink0 */
		return report("open");

	int status = 1;
	char db_id[CTR_ID_LEN + 1] = "", web_id[CTR_ID_LEN + 1] = "";

	/* db: exposes 5432; its environment is offered to links made with CTR_LINK_ENV */
	const char *db_argv[] = { "sleep", "600", NULL };
	const char *db_env[] = { "POSTGRES_DB=shop", NULL };
	const char *db_expose[] = { "5432", NULL };
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = "db";
	o.argv = db_argv;
	o.env = db_env;
	o.expose = db_expose;
	if (ctr_create(ctx, &o, db_id) < 0) {
		report("create db");
		goto out;
	}

	/* web: created bare, then linked and published through the API */
	const char *web_argv[] = { "sleep", "600", NULL };
	ctr_create_options w = CTR_CREATE_OPTIONS_INIT;
	w.name = "web";
	w.argv = web_argv;
	if (ctr_create(ctx, &w, web_id) < 0) {
		report("create web");
		goto out;
	}
	if (ctr_link(ctx, "web", "db", "db", CTR_LINK_ENV) < 0) {
		report("link web to db");
		goto out;
	}
	if (ctr_publish_port(ctx, "web", "8080:80") < 0) {
		report("publish 8080:80");
		goto out;
	}

	/* a linked container must run before the one that links to it */
	if (ctr_start(ctx, "db", NULL) < 0 || ctr_start(ctx, "web", NULL) < 0) {
		report("start");
		goto out;
	}

	/* what web sees: the link variables and the hosts line of its alias */
	const char *show[] = { "sh", "-c", "env | grep ^DB_ | sort; grep -w db /etc/hosts", NULL };
	ctr_exec_options x = CTR_EXEC_OPTIONS_INIT;
	x.argv = show;
	int code = -1;
	if (ctr_exec(ctx, "web", &x, &code) < 0 || code != 0) {
		report("exec in web");
		goto out;
	}

	/* inspect: the JSON docker inspect prints for one container */
	char *json;
	if (ctr_inspect(ctx, "web", &json) < 0) {
		report("inspect web");
		goto out;
	}
	char name[64], ip[16], hport[8];
	field(json, "Name", name, sizeof name);
	field(json, "IPAddress", ip, sizeof ip);
	field(json, "HostPort", hport, sizeof hport);
	ctr_free(json);
	printf("%s (%.12s): address %s, port 80/tcp published on host port %s\n", name, web_id, ip,
	       hport);
	status = 0;

out:
	/* clean up: stop, then remove (web first: db may not go while web links to it).  sleep is
	 * PID 1 of its container and ignores SIGTERM, so stop with a timeout of 0: SIGKILL. */
	if (web_id[0]) {
		ctr_stop(ctx, web_id, 0);
		if (ctr_remove(ctx, web_id, 0) < 0)
			status = report("remove web");
	}
	if (db_id[0]) {
		ctr_stop(ctx, db_id, 0);
		if (ctr_remove(ctx, db_id, 0) < 0)
			status = report("remove db");
	}
	ctr_ctx_close(ctx);
	return status;
}
