/* Capability sets (pure): Docker's default set (less NET_RAW), adjusted by cap-add / cap-drop. */
#ifndef CTR_CAPS_H
#define CTR_CAPS_H

#include <stdint.h>

/* Docker's default capability set without NET_RAW, as a bit mask (bit N = capability N). */
uint64_t caps_default(void);

/* Apply cap-add and cap-drop lists ("NET_ADMIN", "cap_net_admin", "ALL") as Docker does:
 * start from the default set (or nothing when drop contains ALL, or everything when add
 * contains ALL), drop, then add.  -EINVAL with `unknown capability: "X"` for a bad name. */
int caps_compute(const char *const *add, const char *const *drop, uint64_t *out);

/* Number of the highest capability this table knows. */
int caps_last(void);

#endif
