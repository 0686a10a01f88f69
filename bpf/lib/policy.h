/* Identity-based policy on lumen_policy.
 *
 * Precedence (documented in agent/native/README.md): every class that can match is
 * consulted, in the order (identity, proto), (identity, any proto), (any identity,
 * proto), (any, any). An allow in any class wins (its rule id is the first allow in
 * that order: a specific identity beats any-identity); otherwise the first deny decides;
 * otherwise default deny with rule id 0. Within a class the port is matched by longest
 * prefix; the wrapper resolves overlaps in a class before writing (allow wins).
 *
 * Offers: struct lumen_policy_query, lumen_policy_check() -> LUMEN_POLICY_ALLOW or
 *         LUMEN_POLICY_DENY, *rule_id set.
 */
#ifndef LUMEN_POLICY_H
#define LUMEN_POLICY_H

#include "common.h"
#include "maps.h"

#define LUMEN_POLICY_FULL_PREFIX 96

/* The question lumen_policy_check() answers (one argument: a BPF call takes five). */
struct lumen_policy_query {
	__u32 endpoint_id;
	__u32 identity;
	__u8 direction;
	__u8 proto;
	__be16 port;
};

LUMEN_OUTLINE int lumen_policy_check(const struct lumen_policy_query *q, __u32 *rule_id)
{
	__u32 identity = q->identity;
	__u8 proto = q->proto;
	struct lumen_policy_key key = {
		.prefixlen = LUMEN_POLICY_FULL_PREFIX,
		.endpoint_id = q->endpoint_id,
		.direction = q->direction,
		.port = q->port,
	};
	struct lumen_policy_val *v;
	__u32 deny_rule = 0;
	int denied = 0;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u32 id = (i < 2) ? identity : 0;
		__u8 pr = (i & 1) ? 0 : proto;

		/* Skip classes that repeat an earlier lookup (identity or proto already "any"). */
		if (i >= 2 && identity == 0)
			break;
		if ((i & 1) && proto == 0)
			continue;
		key.identity = id;
		key.proto = pr;
		v = bpf_map_lookup_elem(&lumen_policy, &key);
		if (!v)
			continue;
		if (v->verdict == LUMEN_POLICY_ALLOW) {
			*rule_id = v->rule_id;
			return LUMEN_POLICY_ALLOW;
		}
		if (!denied) {
			denied = 1;
			deny_rule = v->rule_id;
		}
	}
	*rule_id = deny_rule;
	return LUMEN_POLICY_DENY;
}

#endif
