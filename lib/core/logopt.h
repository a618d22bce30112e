/* Log options (`--log-opt`), as Docker's json-file driver takes them (pure code): max-size and
 * max-file, with Docker's syntax and messages, and the bounded default a log in /run needs.
 * The monitor rotates by them (lib/helper/monitor.c); ctr_logs() reads across the files. */
#ifndef CTR_LOGOPT_H
#define CTR_LOGOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default when no max-size is given: 1m (1 000 000 bytes, Docker's decimal "m") in 3
 * files, so at most about 3 MB per container.  Logs live in the state directory, which is
 * in /run (a tmpfs: RAM) by default, and an agent runs hundreds of containers: 300 of them
 * at 3 MB are 900 MB in the worst case, where Docker's json-file default (no limit) is
 * unbounded and its `local` driver's (20m x 5) would be 30 GB.  See doc/api.md. */
#define LOG_DEFAULT_MAX_SIZE_TEXT "1m"
#define LOG_DEFAULT_MAX_SIZE 1000000
#define LOG_DEFAULT_MAX_FILE 3
/* the most files a log may keep (Docker has no limit; a reader opens them all) */
#define LOG_MAX_FILE_LIMIT 1000
/* the largest max-size accepted (1 PB): keeps max-size x max-file far from overflowing */
#define LOG_MAX_SIZE_LIMIT 1000000000000000LL

struct log_config {
	int64_t max_size;       /* bytes a file may reach before it is rotated */
	int max_file;           /* files kept: log.json, log.json.1 ... log.json.<max_file-1> */
	char size_text[32];     /* max-size as given ("10m"), for inspect */
};

/* The default configuration (LOG_DEFAULT_*). */
void log_config_default(struct log_config *c);

/* Docker's size syntax (go-units FromHumanSize, decimal units): a number with an optional
 * fraction, an optional space, an optional unit k, m, g, t or p (any case) optionally
 * followed by "i" and/or "b", or just "b": "10m", "1.5k", "100 KB", "2MiB", "512".
 * -EINVAL with "invalid size: '<s>'" otherwise. */
int log_size_parse(const char *s, int64_t *out);

/* Parse `--log-opt` entries "key=value" (NULL-terminated; NULL or empty: the default).  Keys:
 * max-size (a size above 0) and max-file (an integer 1 to LOG_MAX_FILE_LIMIT, only with
 * max-size); a key given twice takes its last value.  -EINVAL naming the bad entry for
 * anything else: an unknown key (Docker's "unknown log opt '<key>' for json-file log
 * driver"), another json-file key we do not implement, a bad value. */
int logopt_parse(const char *const *opts, struct log_config *out);

/* The name of a container's log file `k` in its directory: 0 is "log.json" (written now), k
 * the k-th rotated one, "log.json.<k>" (higher is older).  `buf` of LOG_FILE_NAME_MAX. */
#define LOG_FILE_NAME_MAX 24
void log_file_name(int k, char buf[LOG_FILE_NAME_MAX]);

#endif
