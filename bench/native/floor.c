/*
 * The aggregation floor in C (benchmark only, never part of nocflow): the window aggregation nocflow's JavaScript
 * does (engine/aggregate.ts) — per source: flows, packets, bytes, distinct destinations (eight inline, then a pair
 * set), distinct destination ports (six inline, then a pair set); per destination: flows, packets, bytes, distinct
 * sources; then every destination interned beside the sources — over the same IPv4 columns, written by
 * bench/floor.ts. Two ways:
 *   random       one hash table per side, probed in runs of 256 rows with the next run's slots prefetched
 *                (nocflow's own layout, with the prefetching JavaScript cannot ask for);
 *   partitioned  rows scattered by a hash of the source into 256 partitions whose tables fit in the cache, then
 *                the destinations the same way (radix-partitioned aggregation).
 * Prints one JSON line: the counts (which must equal nocflow's) and each phase's seconds.
 * Build: cc -O2 -march=native -o floor floor.c    Run: floor random|partitioned <column prefix>
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

static void *map_file(const char *prefix, const char *ext, size_t *bytes) {
  char p[4096];
  snprintf(p, sizeof p, "%s.%s", prefix, ext);
  int fd = open(p, O_RDONLY);
  if (fd < 0) { perror(p); exit(2); }
  struct stat st;
  fstat(fd, &st);
  *bytes = (size_t)st.st_size;
  void *m = mmap(0, *bytes ? *bytes : 1, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) { perror(p); exit(2); }
  return m;
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static inline uint32_t mix(uint32_t x) { x ^= x >> 16; x *= 0x85ebca6bu; x ^= x >> 13; x *= 0xc2b2ae35u; x ^= x >> 16; return x; }
static inline uint32_t mix2(uint32_t a, uint32_t b) { return mix(a * 0x9e3779b1u ^ mix(b)); }
static uint32_t pow2_at_least(uint64_t n) { uint32_t c = 16; while (c < n) c <<= 1; return c; }

/* uint32 key -> dense id, key and id in one 8-byte slot (id 0xffffffff = empty). */
typedef struct { uint32_t *kv, mask, size; } Map;
static void map_init(Map *m, uint32_t cap) { m->kv = malloc((size_t)cap * 8); memset(m->kv, 0xff, (size_t)cap * 8); m->mask = cap - 1; m->size = 0; }
static inline uint32_t map_intern(Map *m, uint32_t k) {
  for (uint32_t i = mix(k) & m->mask;; i = (i + 1) & m->mask) {
    uint32_t *s = m->kv + 2 * i;
    if (s[1] == 0xffffffffu) { s[0] = k; s[1] = m->size; return m->size++; }
    if (s[0] == k) return s[1];
  }
}

/* A set of (id, value) pairs, (id + 1, value) per slot, growing at half full. */
typedef struct { uint32_t *k, mask, size; } Pairs;
static void pairs_init(Pairs *p, uint32_t cap) { p->k = calloc(cap, 8); p->mask = cap - 1; p->size = 0; }
static void pairs_put(Pairs *p, uint32_t a, uint32_t b) {
  for (uint32_t i = mix2(a, b) & p->mask;; i = (i + 1) & p->mask) {
    uint32_t *s = p->k + 2 * i;
    if (!s[0]) { s[0] = a + 1; s[1] = b; p->size++; return; }
  }
}
static inline int pairs_add(Pairs *p, uint32_t a, uint32_t b) {
  for (uint32_t i = mix2(a, b) & p->mask;; i = (i + 1) & p->mask) {
    uint32_t *s = p->k + 2 * i;
    if (!s[0]) {
      s[0] = a + 1; s[1] = b;
      if (++p->size * 2 > p->mask) {
        Pairs q; pairs_init(&q, (p->mask + 1) * 2);
        for (uint32_t j = 0; j <= p->mask; j++) if (p->k[2 * j]) pairs_put(&q, p->k[2 * j] - 1, p->k[2 * j + 1]);
        free(p->k); *p = q;
      }
      return 1;
    }
    if (s[0] == a + 1 && s[1] == b) return 0;
  }
}
static void pairs_clear(Pairs *p) { memset(p->k, 0, (size_t)(p->mask + 1) * 8); p->size = 0; }

/* A source record: flows, peers, ports, packets, bytes, 6 inline ports (3 words), 8 inline destinations. */
enum { R_FLOWS, R_PEERS, R_PORTS, R_PACKETS, R_BYTES, R_PORTS_AT, R_DST_AT = 8, STRIDE = 16 };
static inline int source_flow(uint32_t *u, uint32_t s, uint32_t d, uint16_t dp, float pk, float by, Pairs *pairs, Pairs *ports) {
  int newp = 0;
  uint32_t peers = u[R_PEERS];
  if (peers <= 8) {
    uint32_t q = 0;
    while (q < peers && u[R_DST_AT + q] != d) q++;
    if (q == peers) {
      if (peers < 8) u[R_DST_AT + q] = d;
      else { for (int j = 0; j < 8; j++) pairs_add(pairs, s, u[R_DST_AT + j]); pairs_add(pairs, s, d); }
      u[R_PEERS] = peers + 1; newp = 1;
    }
  } else if (pairs_add(pairs, s, d)) { u[R_PEERS] = peers + 1; newp = 1; }
  uint32_t n = u[R_PORTS];
  uint16_t *pp = (uint16_t *)(u + R_PORTS_AT);
  if (n <= 6) {
    uint32_t q = 0;
    while (q < n && pp[q] != dp) q++;
    if (q == n) {
      if (n < 6) pp[q] = dp;
      else { for (int j = 0; j < 6; j++) pairs_add(ports, s, pp[j]); pairs_add(ports, s, dp); }
      u[R_PORTS] = n + 1;
    }
  } else if (pairs_add(ports, s, dp)) u[R_PORTS] = n + 1;
  float *uf = (float *)u;
  u[R_FLOWS]++; uf[R_PACKETS] += pk; uf[R_BYTES] += by;
  return newp;
}
static inline void dest_flow(uint32_t *r, float pk, float by, int newp) { float *rf = (float *)r; r[0]++; rf[1] += pk; rf[2] += by; r[3] += newp; }

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: floor random|partitioned <column prefix>\n"); return 2; }
  int partitioned = strcmp(argv[1], "partitioned") == 0;
  size_t bytes;
  const uint32_t *S = map_file(argv[2], "src", &bytes);
  size_t n = bytes / 4;
  const uint32_t *D = map_file(argv[2], "dst", &bytes);
  const uint16_t *P = map_file(argv[2], "dport", &bytes);
  const float *K = map_file(argv[2], "packets", &bytes);
  const float *B = map_file(argv[2], "bytes", &bytes);
  double t0 = now(), t1, t2, t3;
  uint64_t sources = 0, dests = 0, pairCount = 0, ips = 0;
  if (!partitioned) {
    Map src, dst;
    map_init(&src, pow2_at_least(n * 4 / 3 / 2 + 1));
    map_init(&dst, pow2_at_least(n * 4 / 3 / 2 + 1));
    uint32_t *U = calloc(n, STRIDE * 4), *R = calloc(n, 16);
    Pairs pairs, ports;
    pairs_init(&pairs, pow2_at_least(n / 8)); pairs_init(&ports, pow2_at_least(n / 32));
    uint32_t sid[256], did[256];
    for (size_t i0 = 0; i0 < n; i0 += 256) {
      size_t i1 = i0 + 256 < n ? i0 + 256 : n;
      for (size_t i = i1; i < i1 + 256 && i < n; i++) { __builtin_prefetch(src.kv + 2 * (mix(S[i]) & src.mask)); __builtin_prefetch(dst.kv + 2 * (mix(D[i]) & dst.mask)); }
      for (size_t i = i0; i < i1; i++) { sid[i - i0] = map_intern(&src, S[i]); __builtin_prefetch(U + (size_t)sid[i - i0] * STRIDE); }
      for (size_t i = i0; i < i1; i++) { did[i - i0] = map_intern(&dst, D[i]); __builtin_prefetch(R + (size_t)did[i - i0] * 4); }
      for (size_t i = i0; i < i1; i++) {
        uint32_t s = sid[i - i0];
        int newp = source_flow(U + (size_t)s * STRIDE, s, D[i], P[i], K[i], B[i], &pairs, &ports);
        dest_flow(R + (size_t)did[i - i0] * 4, K[i], B[i], newp);
      }
    }
    t1 = t2 = now();
    /* Every destination gets an id beside the sources, in the destinations' order. */
    Map all = src;
    uint32_t *order = malloc((size_t)dst.size * 4);
    for (uint32_t i = 0; i <= dst.mask; i++) if (dst.kv[2 * i + 1] != 0xffffffffu) order[dst.kv[2 * i + 1]] = dst.kv[2 * i];
    sources = src.size; dests = dst.size;
    Map grown; map_init(&grown, pow2_at_least(((uint64_t)src.size + dst.size) * 4 / 3 + 1));
    for (uint32_t i = 0; i <= all.mask; i++) if (all.kv[2 * i + 1] != 0xffffffffu) {
      uint32_t k = all.kv[2 * i], v = all.kv[2 * i + 1];
      for (uint32_t j = mix(k) & grown.mask;; j = (j + 1) & grown.mask) if (grown.kv[2 * j + 1] == 0xffffffffu) { grown.kv[2 * j] = k; grown.kv[2 * j + 1] = v; break; }
    }
    grown.size = src.size;
    for (uint32_t k = 0; k < dst.size; k++) map_intern(&grown, order[k]);
    ips = grown.size; pairCount = pairs.size;
    t3 = now();
  } else {
    enum { PB = 8, NP = 1 << PB };
    typedef struct { uint32_t s, d; uint16_t dp, pad; float pk, by; } Row;
    typedef struct { uint32_t d; float pk, by; uint32_t newp; } DRow;
    uint32_t off[NP + 1] = {0}, pos[NP];
    for (size_t i = 0; i < n; i++) off[(mix(S[i]) >> (32 - PB)) + 1]++;
    for (int k = 0; k < NP; k++) off[k + 1] += off[k];
    Row *rows = malloc(n * sizeof(Row));
    memcpy(pos, off, sizeof pos);
    for (size_t i = 0; i < n; i++) { Row *r = rows + pos[mix(S[i]) >> (32 - PB)]++; r->s = S[i]; r->d = D[i]; r->dp = P[i]; r->pk = K[i]; r->by = B[i]; }
    t1 = now();
    DRow *drows = malloc(n * sizeof(DRow));
    uint32_t cap = 1 << 12;
    Map m; map_init(&m, cap);
    uint32_t *U = malloc((size_t)cap * STRIDE * 4);
    Pairs pairs, ports; pairs_init(&pairs, 1 << 14); pairs_init(&ports, 1 << 12);
    uint32_t *srcKeys = malloc(n * 4), soff[NP + 1];
    soff[0] = 0;
    for (int k = 0; k < NP; k++) {
      uint32_t a = off[k], b = off[k + 1], want = pow2_at_least((uint64_t)(b - a) * 2);
      if (want > cap) { cap = want; free(m.kv); map_init(&m, cap); U = realloc(U, (size_t)cap * STRIDE * 4); }
      memset(m.kv, 0xff, (size_t)(m.mask + 1) * 8); m.size = 0;
      pairs_clear(&pairs); pairs_clear(&ports);
      for (uint32_t i = a; i < b; i++) {
        Row *r = rows + i;
        uint32_t before = m.size, id = map_intern(&m, r->s);
        if (id == before) { memset(U + (size_t)id * STRIDE, 0, STRIDE * 4); srcKeys[soff[k] + id] = r->s; }
        DRow *o = drows + i;
        o->d = r->d; o->pk = r->pk; o->by = r->by;
        o->newp = (uint32_t)source_flow(U + (size_t)id * STRIDE, id, r->d, r->dp, r->pk, r->by, &pairs, &ports);
      }
      sources += m.size; pairCount += pairs.size;
      soff[k + 1] = soff[k] + m.size;
    }
    t2 = now();
    uint32_t doff[NP + 1] = {0};
    for (size_t i = 0; i < n; i++) doff[(mix(drows[i].d) >> (32 - PB)) + 1]++;
    for (int k = 0; k < NP; k++) doff[k + 1] += doff[k];
    DRow *dd = malloc(n * sizeof(DRow));
    memcpy(pos, doff, sizeof pos);
    for (size_t i = 0; i < n; i++) dd[pos[mix(drows[i].d) >> (32 - PB)]++] = drows[i];
    uint32_t *R = malloc((size_t)cap * 16);
    for (int k = 0; k < NP; k++) {
      uint32_t a = doff[k], b = doff[k + 1], want = pow2_at_least((uint64_t)(b - a) * 2);
      if (want > cap) { cap = want; free(m.kv); map_init(&m, cap); R = realloc(R, (size_t)cap * 16); }
      memset(m.kv, 0xff, (size_t)(m.mask + 1) * 8); m.size = 0;
      for (uint32_t i = a; i < b; i++) {
        uint32_t before = m.size, id = map_intern(&m, dd[i].d);
        if (id == before) memset(R + (size_t)id * 4, 0, 16);
        dest_flow(R + (size_t)id * 4, dd[i].pk, dd[i].by, (int)dd[i].newp);
      }
      dests += m.size;
      /* The merge, per partition: an address hashes to the same partition on both sides, so the sources of partition
       * k that are also its destinations are found in its destination table. */
      for (uint32_t j = soff[k]; j < soff[k + 1]; j++) map_intern(&m, srcKeys[j]);
      ips += m.size;
    }
    t3 = now();
  }
  /* random: t0-t1 both sides, t2-t3 the merge; partitioned: t0-t1 the scatter, t1-t2 the sources, t2-t3 the
   * destinations with the merge. */
  printf("{\"mode\":\"%s\",\"rows\":%zu,\"sources\":%llu,\"destinations\":%llu,\"pairs\":%llu,\"ips\":%llu,\"phases\":[%.3f,%.3f,%.3f],\"seconds\":%.3f}\n",
         partitioned ? "partitioned" : "random", n, (unsigned long long)sources, (unsigned long long)dests, (unsigned long long)pairCount, (unsigned long long)ips,
         t1 - t0, t2 - t1, t3 - t2, t3 - t0);
  return 0;
}
