/* Security identity of an address: local endpoints first (authoritative for pods on
 * this node), then the ipcache (longest prefix), else world.
 *
 * Offers: lumen_identity_of().
 */
#ifndef LUMEN_IDENTITY_H
#define LUMEN_IDENTITY_H

#include "common.h"
#include "maps.h"

static __always_inline __u32 lumen_identity_of(__be32 addr)
{
	struct lumen_endpoint *ep = bpf_map_lookup_elem(&lumen_endpoints, &addr);
	if (ep)
		return ep->identity;

	struct lumen_ipcache_key key = { .prefixlen = 32, .addr = addr };
	struct lumen_ipcache_val *v = bpf_map_lookup_elem(&lumen_ipcache, &key);
	if (v)
		return v->identity;
	return LUMEN_ID_WORLD;
}

#endif
