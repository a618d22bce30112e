#include "core/caps.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* Capability names by number (linux/capability.h). */
static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",
	"NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
	"SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
	"MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
	"PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* Docker's default set (moby oci/caps/defaults.go DefaultCapabilities) without NET_RAW:
 * raw sockets let container root forge any packet on the bridge (ARP, spoofed sources); ping
 * works without it through ICMP datagram sockets (the container's net.ipv4.ping_group_range,
 * lib/sys/child.c).  `--cap-add NET_RAW` gives it back. */
static const char *const defaults[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
};

int caps_last(void)
{
	return (int)ARRAY_SIZE(cap_names) - 1;
}

static int cap_number(const char *name)
{
	char up[32];
	size_t n = strlen(name);
	if (n >= sizeof up)
		return -1;
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	const char *s = strncmp(up, "CAP_", 4) == 0 ? up + 4 : up;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcmp(s, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

uint64_t caps_default(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		m |= 1ull << cap_number(defaults[i]);
	return m;
}

static bool has_all(const char *const *v)
{
	for (; v && *v; v++)
		if (strcasecmp(*v, "ALL") == 0)
			return true;
	return false;
}

static int bad_cap(const char *name)
{
	char shown[64];
	size_t n = 0;
	for (const char *p = name; *p && n + 5 < sizeof shown; p++)
		shown[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	shown[n] = '\0';
	return ctr_err(-EINVAL, "unknown capability: \"%s%s\"", shown, name[n] ? "..." : "");
}

int caps_compute(const char *const *add, const char *const *drop, uint64_t *out)
{
	uint64_t all = (caps_last() == 63) ? ~0ull : (1ull << (caps_last() + 1)) - 1;
	uint64_t m = has_all(add) ? all : has_all(drop) ? 0 : caps_default();
	for (const char *const *p = drop; p && *p; p++) {
		if (strcasecmp(*p, "ALL") == 0)
			continue;
		int c = cap_number(*p);
		if (c < 0)
			return bad_cap(*p);
		m &= ~(1ull << c);
	}
	for (const char *const *p = add; p && *p; p++) {
		if (strcasecmp(*p, "ALL") == 0)
			continue;
		int c = cap_number(*p);
		if (c < 0)
			return bad_cap(*p);
		m |= 1ull << c;
	}
	*out = m;
	return 0;
}
