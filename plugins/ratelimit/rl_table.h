/* ratelimit: exact integer GCRA and the fixed-capacity, bucket-locked key table (no core calls). */
#ifndef RL_TABLE_H
#define RL_TABLE_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Rate as GCRA parameters. The emission interval (time one unit of cost "uses up") is
 * T = q + r/den nanoseconds, kept as an exact fraction so that 3/s or 3kbit never drift.
 * The tolerance tau = burst * T: a key may be ahead of its schedule by at most tau.
 * Semantics (identical to hashlimit --hashlimit-upto N/s --hashlimit-burst B): a fresh key may
 * send B units at once, then one unit every T; units over the limit do not consume credit.
 */
struct rl_rate {
	uint64_t q;        /* whole ns of T */
	uint32_t r;        /* remainder of T, in 1/den ns (r < den) */
	uint32_t den;      /* denominator of the fractions (>= 1) */
	uint64_t tau_ns;   /* whole ns of tau = burst * T */
	uint32_t tau_frac; /* remainder of tau in 1/den ns */
	uint32_t pad_;
};

/* Build a rate of `amount` units per `period_ns` with `burst` units of tolerance.
 * Returns 0, or -EINVAL (zero amount/burst) / -ERANGE (too fine or too large to represent). */
int rl_rate_init(struct rl_rate *rt, uint64_t amount, uint64_t period_ns, uint64_t burst);

/* A table key: an address (possibly masked) and/or a port. Unused parts are zero. */
struct rl_key {
	uint8_t a[16];   /* address, masked to the key's prefix */
	uint16_t port;   /* port in host order */
	uint8_t family;  /* 4, 6, or 255 for a key without an address */
	uint8_t plen;    /* prefix length applied to a (for messages) */
};

#define RL_E_OVER 0x1   /* the key was over its limit since it last refilled fully */
#define RL_E_EVENT 0x2  /* event_ns is valid */

/* One key's state. */
struct rl_entry {
	uint64_t tat_ns;   /* theoretical arrival time (whole ns); <= now means fully refilled */
	uint64_t event_ns; /* when the last ratelimit event for this key was emitted */
	uint32_t tat_frac; /* fraction of tat, in 1/den ns */
	uint32_t limited;  /* packets limited since the last event (saturating) */
	struct rl_key key; /* the bucket's tag[i] == 0 marks entry i free */
	uint32_t flags;    /* RL_E_* */
};

#define RL_BUCKET_WAYS 5
#define RL_BYTES_PER_KEY_MAX 64

/*
 * A bucket: RL_BUCKET_WAYS entries behind one spin lock, 256 bytes on 4 cache lines. The tags
 * (8 bits of each key's hash, 0 = free entry) sit on the first line with the lock, so finding a
 * known key reads the lock's line and the entry's, not the whole bucket.
 */
struct rl_bucket {
	_Atomic uint8_t lock;         /* 0 free, 1 held (held for a few dozen instructions) */
	uint8_t tag[RL_BUCKET_WAYS];  /* hash tag of each entry; 0 = entry free */
	uint16_t pad_;
	struct rl_entry e[RL_BUCKET_WAYS];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct rl_entry) == 48, "rl_entry layout");
_Static_assert(sizeof(struct rl_bucket) <= RL_BYTES_PER_KEY_MAX * RL_BUCKET_WAYS,
	       "ratelimit: more than 64 bytes per key including overhead");

/* A fixed-capacity table shared by all workers. */
struct rl_table {
	struct rl_bucket *b;     /* n_buckets buckets, allocated once */
	uint64_t n_buckets;
	uint64_t seed[4];        /* hash key */
	_Atomic uint64_t used;   /* entries holding a key (never decreases: entries are recycled) */
};

/* Outcome of one rl_table_take call. */
struct rl_take {
	int over;         /* 1: the packet is over the limit */
	int evicted;      /* 1: a key that still held state was pushed out to make room */
	int filled;       /* 1: the key took a never-used entry (table occupancy grew by one) */
	int event;        /* 0 none, 1 the key just went over, 2 periodic summary while over */
	uint32_t limited; /* with event: packets limited since the previous event, this one included */
};

/* Allocate a table for at least max_keys keys (rounded up to whole buckets). 0 or -errno. */
int rl_table_init(struct rl_table *t, uint64_t max_keys, const uint64_t seed[4]);
void rl_table_free(struct rl_table *t);
/* Capacity in keys. */
static inline uint64_t rl_table_capacity(const struct rl_table *t)
{
	return t->n_buckets * RL_BUCKET_WAYS;
}
/* Keyed hash of a key (wyhash-style multiply/xor with a secret seed). */
uint64_t rl_key_hash(const struct rl_key *k, const uint64_t seed[4]);

/*
 * Charge `cost` units to key k at time now_ns (any thread; takes the key's bucket lock).
 * Returns 1 if accepted, 0 if over the limit; details in *out. event_interval_ns: minimum time
 * between two ratelimit events of one key.
 */
int rl_table_take(struct rl_table *t, const struct rl_rate *rt, const struct rl_key *k,
		  uint64_t now_ns, uint64_t cost, uint64_t event_interval_ns, struct rl_take *out);

/*
 * Carry every key of a table over to a new rate (reload; main thread, any time: takes each
 * bucket's lock). A key keeps what it owes in units of cost: its lead over the schedule
 * (tat - now) is re-expressed in the new emission interval and capped at the new tolerance, so
 * raising a rate frees a limited key at once and lowering it does not hand out a fresh burst.
 */
void rl_table_rescale(struct rl_table *t, const struct rl_rate *from, const struct rl_rate *to,
		      uint64_t now_ns);

/* GCRA on one entry's (tat_ns, tat_frac) without a table (exposed for tests). */
int rl_gcra_take(const struct rl_rate *rt, uint64_t *tat_ns, uint32_t *tat_frac, uint64_t now_ns,
		 uint64_t cost);

#endif
