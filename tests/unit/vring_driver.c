/* Owns the test-side virtio driver (see vring_driver.h), and the guest
 * that rewrites its ring under the device. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "vring_driver.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint64_t drv_alloc(struct drv *d, uint32_t len)
{
	uint64_t off = align_up(d->buf_next, 16);
	if (off + len > DRV_MEM_SIZE)
		off = d->buf_next = 3u << 20; /* wrap the buffer area; tests are short */
	d->buf_next = off + len;
	return DRV_GPA_BASE + off;
}

void *drv_ptr(struct drv *d, uint64_t gpa)
{
	return d->host + (gpa - DRV_GPA_BASE);
}

void drv_init(struct drv *d, uint16_t size, bool packed, uint64_t features, uint32_t base)
{
	memset(d, 0, sizeof(*d));
	d->host = aligned_alloc(4096, DRV_MEM_SIZE);
	memset(d->host, 0, DRV_MEM_SIZE);
	d->mem.nregions = 1;
	d->mem.regions[0] = (struct vsw_mem_region){ .guest_phys_addr = DRV_GPA_BASE,
						     .size = DRV_MEM_SIZE,
						     .user_addr = DRV_UVA_BASE,
						     .host_addr = d->host };
	d->size = size;
	d->packed = packed;
	d->features = features;
	/* Rings in the first 2 MiB, buffers after (3 MiB on). */
	if (packed) {
		d->pdesc = (void *)d->host;
		d->drv_event = (void *)(d->host + (1u << 20));
		d->dev_event = (void *)(d->host + (1u << 20) + 64);
		d->next_avail = d->next_used = base & 0x7fff;
		d->avail_wrap = d->used_wrap = (base >> 15) & 1;
	} else {
		d->desc = (void *)d->host;
		d->avail = (void *)(d->host + (1u << 20));
		d->used = (void *)(d->host + (1u << 20) + 256 * 1024);
		d->avail_idx = d->used_seen = (uint16_t)base;
		d->avail->idx = (uint16_t)base;
		d->used->idx = (uint16_t)base;
	}
	d->buf_next = 3u << 20;
	d->call_fd = eventfd(0, EFD_NONBLOCK);
}

void drv_fini(struct drv *d)
{
	free(d->host);
	d->host = NULL;
	if (d->call_fd >= 0)
		close(d->call_fd);
	d->call_fd = -1;
}

int drv_start(struct drv *d, struct vsw_vq *vq)
{
	return drv_start_with(d, vq, 0);
}

int drv_start_with(struct drv *d, struct vsw_vq *vq, uint32_t max_pkt_len)
{
	uint64_t host = (uint64_t)(uintptr_t)d->host;
	d->setup = (struct vsw_vq_setup){
		.mem = &d->mem,
		.size = d->size,
		.packed = d->packed,
		.desc_uaddr = DRV_UVA_BASE + ((uint64_t)(uintptr_t)(d->packed ? (void *)d->pdesc : (void *)d->desc) - host),
		.avail_uaddr = DRV_UVA_BASE + ((uint64_t)(uintptr_t)(d->packed ? (void *)d->drv_event : (void *)d->avail) - host),
		.used_uaddr = DRV_UVA_BASE + ((uint64_t)(uintptr_t)(d->packed ? (void *)d->dev_event : (void *)d->used) - host),
		.base = d->packed ? (uint32_t)d->next_avail | (uint32_t)d->avail_wrap << 15 : d->avail_idx,
		.features = d->features,
		.call_fd = d->call_fd,
		.max_pkt_len = max_pkt_len,
		.name = "test",
	};
	return vsw_vq_init(vq, &d->setup);
}

/* --- split --- */

static uint16_t split_chain(struct drv *d, const uint64_t *addr, const uint32_t *len,
			    const uint16_t *flags, int n)
{
	uint16_t head = d->next_desc;
	for (int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((d->next_desc + i) % d->size);
		d->desc[idx] = (struct vring_desc){ .addr = addr[i], .len = len[i], .flags = flags[i],
						    .next = (uint16_t)((idx + 1) % d->size) };
		if (i + 1 < n)
			d->desc[idx].flags |= VRING_DESC_F_NEXT;
	}
	d->next_desc = (uint16_t)((d->next_desc + n) % d->size);
	return head;
}

void drv_publish_head(struct drv *d, uint16_t head)
{
	if (d->packed)
		return;
	d->avail->ring[d->avail_idx % d->size] = head;
	__atomic_store_n(&d->avail->idx, (uint16_t)(d->avail_idx + 1), __ATOMIC_RELEASE);
	d->avail_idx++;
}

/* --- packed --- */

static uint16_t packed_chain(struct drv *d, const uint64_t *addr, const uint32_t *len,
			     const uint16_t *flags, int n, uint16_t id)
{
	uint16_t first = d->next_avail;
	uint16_t first_flags = 0;
	uint16_t avail_bits = d->avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
	for (int i = 0; i < n; i++) {
		uint16_t f = flags[i] | avail_bits | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		struct vring_packed_desc *p = &d->pdesc[d->next_avail];
		p->addr = addr[i];
		p->len = len[i];
		p->id = id;
		if (i == 0)
			first_flags = f;
		else
			__atomic_store_n(&p->flags, f, __ATOMIC_RELEASE);
		if (++d->next_avail == d->size) {
			d->next_avail = 0;
			d->avail_wrap = !d->avail_wrap;
			avail_bits = d->avail_wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
		}
	}
	d->chain_len[id] = (uint16_t)n;
	__atomic_store_n(&d->pdesc[first].flags, first_flags, __ATOMIC_RELEASE);
	return id;
}

static uint16_t next_id;

uint16_t drv_post(struct drv *d, const uint64_t *addr, const uint32_t *len,
	      const uint16_t *flags, int n, bool indirect)
{
	if (indirect) {
		uint64_t t = drv_alloc(d, (uint32_t)(16 * n));
		if (d->packed) {
			struct vring_packed_desc *pt = drv_ptr(d, t);
			for (int i = 0; i < n; i++)
				pt[i] = (struct vring_packed_desc){ .addr = addr[i], .len = len[i],
								    .flags = flags[i] };
		} else {
			struct vring_desc *st = drv_ptr(d, t);
			for (int i = 0; i < n; i++)
				st[i] = (struct vring_desc){ .addr = addr[i], .len = len[i],
							     .flags = (uint16_t)(flags[i] | (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
							     .next = (uint16_t)(i + 1) };
		}
		uint64_t ta = t;
		uint32_t tl = (uint32_t)(16 * n);
		uint16_t tf = VRING_DESC_F_INDIRECT;
		return drv_post(d, &ta, &tl, &tf, 1, false);
	}
	if (d->packed) {
		uint16_t id = (uint16_t)(next_id++ % d->size);
		return packed_chain(d, addr, len, flags, n, id);
	}
	uint16_t head = split_chain(d, addr, len, flags, n);
	drv_publish_head(d, head);
	return head;
}

uint16_t drv_tx_hdr(struct drv *d, const struct virtio_net_hdr *h, const void *data, uint32_t len)
{
	uint16_t hl = vsw_vq_hdr_len(d->features);
	uint64_t a = drv_alloc(d, hl + len);
	memcpy(drv_ptr(d, a), h, hl);
	memcpy((uint8_t *)drv_ptr(d, a) + hl, data, len);
	uint32_t l = hl + len;
	uint16_t f = 0;
	return drv_post(d, &a, &l, &f, 1, false);
}

uint16_t drv_tx(struct drv *d, const void *data, uint32_t len, int nsegs, bool indirect)
{
	uint16_t hl = vsw_vq_hdr_len(d->features);
	uint64_t addr[64];
	uint32_t lens[64];
	uint16_t flags[64] = { 0 };
	int n = 0;
	if (nsegs <= 1) {
		addr[0] = drv_alloc(d, hl + len);
		memset(drv_ptr(d, addr[0]), 0, hl);
		memcpy((uint8_t *)drv_ptr(d, addr[0]) + hl, data, len);
		lens[0] = hl + len;
		n = 1;
	} else {
		addr[0] = drv_alloc(d, hl);
		memset(drv_ptr(d, addr[0]), 0, hl);
		lens[0] = hl;
		n = 1;
		uint32_t per = (len + (uint32_t)nsegs - 2) / (uint32_t)(nsegs - 1), off = 0;
		while (off < len && n < 64) {
			uint32_t l = len - off < per ? len - off : per;
			addr[n] = drv_alloc(d, l);
			memcpy(drv_ptr(d, addr[n]), (const uint8_t *)data + off, l);
			lens[n++] = l;
			off += l;
		}
	}
	return drv_post(d, addr, lens, flags, n, indirect);
}

uint16_t drv_rx(struct drv *d, uint32_t buflen, int nsegs)
{
	uint64_t addr[64];
	uint32_t lens[64];
	uint16_t flags[64];
	if (nsegs < 1)
		nsegs = 1;
	for (int i = 0; i < nsegs; i++) {
		lens[i] = buflen / (uint32_t)nsegs;
		addr[i] = drv_alloc(d, lens[i]);
		flags[i] = VRING_DESC_F_WRITE;
	}
	return drv_post(d, addr, lens, flags, nsegs, false);
}

bool drv_used(struct drv *d, uint16_t *id, uint32_t *len)
{
	if (d->packed) {
		struct vring_packed_desc *p = &d->pdesc[d->next_used];
		uint16_t f = __atomic_load_n(&p->flags, __ATOMIC_ACQUIRE);
		bool a = f & VRING_PACKED_DESC_F_AVAIL, u = f & VRING_PACKED_DESC_F_USED;
		if (a != u || u != d->used_wrap)
			return false;
		*id = p->id;
		*len = p->len;
		uint16_t n = d->chain_len[p->id] ? d->chain_len[p->id] : 1;
		uint32_t v = (uint32_t)d->next_used + n;
		if (v >= d->size) {
			v -= d->size;
			d->used_wrap = !d->used_wrap;
		}
		d->next_used = (uint16_t)v;
		return true;
	}
	uint16_t idx = __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);
	if (idx == d->used_seen)
		return false;
	struct vring_used_elem *u = &d->used->ring[d->used_seen % d->size];
	*id = (uint16_t)u->id;
	*len = u->len;
	d->used_seen++;
	return true;
}

/* --- a guest rewriting its ring --- */

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* v[0] three times in four, else one of v[1..3]. */
#define PICK(r, shift, v) ((v)[((r) >> (shift)) & 3 ? 0 : 1 + ((r) >> ((shift) + 2)) % 3])

void drv_rewrite_pass(struct drv *d, struct drv_rewrite *w)
{
	for (uint16_t j = 0; j < d->size; j++) {
		uint32_t r = xorshift(&w->seed);
		if (d->packed) {
			struct vring_packed_desc *p = &d->pdesc[j];
			__atomic_store_n(&p->addr, PICK(r, 0, w->addr), __ATOMIC_RELAXED);
			__atomic_store_n(&p->len, PICK(r, 5, w->len), __ATOMIC_RELAXED);
			__atomic_store_n(&p->id, PICK(r, 10, w->id), __ATOMIC_RELAXED);
			continue;
		}
		const uint16_t heads[4] = { j, d->size, 0xffff, (uint16_t)(d->size + j) };
		struct vring_desc *s = &d->desc[j];
		__atomic_store_n(&s->addr, PICK(r, 0, w->addr), __ATOMIC_RELAXED);
		__atomic_store_n(&s->len, PICK(r, 5, w->len), __ATOMIC_RELAXED);
		__atomic_store_n(&s->flags, PICK(r, 10, w->flags), __ATOMIC_RELAXED);
		__atomic_store_n(&s->next, (uint16_t)(r >> 31 ? d->size : 0xffff), __ATOMIC_RELAXED);
		__atomic_store_n(&d->avail->ring[j], PICK(r, 20, heads), __ATOMIC_RELAXED);
	}
}

static struct {
	struct drv *d;
	struct drv_rewrite *w;
	int stop;
	bool running;
	pthread_t thread;
} rewriter;

static void *rewrite_loop(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&rewriter.stop, __ATOMIC_RELAXED))
		drv_rewrite_pass(rewriter.d, rewriter.w);
	return NULL;
}

int drv_rewriter_start(struct drv *d, struct drv_rewrite *w)
{
	rewriter.d = d;
	rewriter.w = w;
	rewriter.stop = 0;
	if (pthread_create(&rewriter.thread, NULL, rewrite_loop, NULL) != 0)
		return -1;
	rewriter.running = true;
	return 0;
}

void drv_rewriter_stop(void)
{
	if (!rewriter.running)
		return;
	__atomic_store_n(&rewriter.stop, 1, __ATOMIC_RELAXED);
	pthread_join(rewriter.thread, NULL);
	rewriter.running = false;
}

#if defined(__x86_64__) && defined(__linux__)
#define EFLAGS_TF 0x100 /* trap after the next instruction */

static struct {
	struct drv *d;
	struct drv_rewrite *w;
	uint8_t *page[2];
	size_t len[2];
	int n;
	bool armed;
	struct sigaction old_segv, old_trap;
} traps;

static void protect(int prot)
{
	for (int i = 0; i < traps.n; i++)
		mprotect(traps.page[i], traps.len[i], prot);
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	const uint8_t *a = si->si_addr;
	for (int i = 0; i < traps.n; i++) {
		if (a >= traps.page[i] && a < traps.page[i] + traps.len[i]) {
			protect(PROT_READ | PROT_WRITE);
			drv_rewrite_pass(traps.d, traps.w);
			((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] |= EFLAGS_TF;
			return;
		}
	}
	/* Not the ring: a real fault, taken again the way it was before. */
	sigaction(SIGSEGV, &traps.old_segv, NULL);
}

static void on_step(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] &= ~EFLAGS_TF;
	protect(PROT_NONE);
}

bool drv_rewrite_traps(void)
{
	return true;
}

static void add_pages(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	uintptr_t e = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
	traps.page[traps.n] = (uint8_t *)a;
	traps.len[traps.n++] = e - a;
}

void drv_rewrite_arm(struct drv *d, struct drv_rewrite *w)
{
	traps.d = d;
	traps.w = w;
	traps.n = 0;
	if (d->packed) {
		add_pages(d->pdesc, 16u * d->size);
	} else {
		add_pages(d->desc, 16u * d->size);
		add_pages(d->avail, 6u + 2u * d->size);
	}
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &traps.old_segv);
	sa.sa_sigaction = on_step;
	sigaction(SIGTRAP, &sa, &traps.old_trap);
	traps.armed = true;
	protect(PROT_NONE);
}

void drv_rewrite_disarm(void)
{
	if (!traps.armed)
		return;
	protect(PROT_READ | PROT_WRITE);
	traps.armed = false;
	sigaction(SIGSEGV, &traps.old_segv, NULL);
	sigaction(SIGTRAP, &traps.old_trap, NULL);
}
#else
bool drv_rewrite_traps(void)
{
	return false;
}

void drv_rewrite_arm(struct drv *d, struct drv_rewrite *w)
{
	(void)d;
	(void)w;
}

void drv_rewrite_disarm(void)
{
}
#endif
