/* Owns packet capture (see capture.h). pcapng records carry an interface
 * index that must name an interface block in the file; DPDK 22.11 writes
 * one block per ethdev port when the file is opened, so each capture makes
 * a net_null device named after the captured port to stand for it.
 * A write that fails (disk full, file size limit) ends the capture: the
 * file is cut back to its last whole block, so it stays readable. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "common/log.h"
#include "switch/capture.h"
#include "switch/switch.h"

#define RING_SIZE 1024

struct vsw_capture {
	struct rte_ring *ring;
	struct rte_mempool *mp;
	rte_pcapng_t *pcapng;
	int fd;
	uint16_t ifport;
	char vdev[64];
	bool rx, tx;
	uint32_t snaplen;
	uint64_t max_pkts, max_bytes;
	uint64_t taken_pkts, taken_bytes, dropped; /* atomics: several workers */
	struct vsw_port *port;
	/* control thread only */
	char path[VSW_CAPTURE_PATH_MAX];
	uint64_t written;  /* packets in the file */
	off_t file_len;    /* bytes of whole blocks in the file */
	char error[VSW_CAPTURE_ERROR_MAX]; /* why writing stopped; "" while it works */
};

static unsigned int capture_seq;

bool vsw_capture_wants(const struct vsw_capture *cap, bool out)
{
	return out ? cap->tx : cap->rx;
}

void vsw_capture_burst(struct vsw_capture *cap, struct rte_mbuf *const *pkts, uint16_t n, bool out)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = pkts[i]->pkt_len;
		uint64_t np = __atomic_fetch_add(&cap->taken_pkts, 1, __ATOMIC_RELAXED);
		uint64_t nb = __atomic_fetch_add(&cap->taken_bytes, len, __ATOMIC_RELAXED);
		if (np >= cap->max_pkts || nb + len > cap->max_bytes) {
			__atomic_fetch_sub(&cap->taken_pkts, 1, __ATOMIC_RELAXED);
			__atomic_fetch_sub(&cap->taken_bytes, len, __ATOMIC_RELAXED);
			return;
		}
		struct rte_mbuf *c = rte_pcapng_copy(cap->ifport, 0, pkts[i], cap->mp, cap->snaplen,
						     rte_get_tsc_cycles(),
						     out ? RTE_PCAPNG_DIRECTION_OUT
							 : RTE_PCAPNG_DIRECTION_IN);
		if (c == NULL || rte_ring_enqueue(cap->ring, c) != 0) {
			rte_pktmbuf_free(c);
			__atomic_fetch_add(&cap->dropped, 1, __ATOMIC_RELAXED);
		}
	}
}

static void cleanup(struct vsw_capture *cap)
{
	if (cap->pcapng != NULL)
		rte_pcapng_close(cap->pcapng); /* closes the fd too */
	else if (cap->fd >= 0)
		close(cap->fd);
	if (cap->vdev[0] != '\0')
		rte_eal_hotplug_remove("vdev", cap->vdev);
	rte_ring_free(cap->ring);
	rte_mempool_free(cap->mp);
	free(cap);
}

struct vsw_capture *vsw_capture_start(struct vsw_switch *sw, struct vsw_port *port,
				      const char *path, bool rx, bool tx, uint64_t max_pkts,
				      uint64_t max_bytes, uint32_t snaplen, char *err,
				      size_t errlen)
{
	if (__atomic_load_n(&port->capture, __ATOMIC_RELAXED) != NULL) {
		snprintf(err, errlen, "port %s is being captured already; stop that first",
			 port->name);
		return NULL;
	}
	struct vsw_capture *cap = calloc(1, sizeof(*cap));
	if (cap == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cap->fd = -1;
	cap->rx = rx;
	cap->tx = tx;
	cap->max_pkts = max_pkts;
	cap->max_bytes = max_bytes;
	cap->snaplen = snaplen;
	cap->port = port;
	unsigned int seq = capture_seq++;
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "vsw_cap%u", seq);
	cap->ring = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "vsw_capmp%u", seq);
	cap->mp = rte_pktmbuf_pool_create_by_ops(name, 2 * RING_SIZE - 1, 0, 0,
						 rte_pcapng_mbuf_size(snaplen), SOCKET_ID_ANY,
						 "ring_mp_mc");
	if (cap->ring == NULL || cap->mp == NULL) {
		snprintf(err, errlen, "cannot allocate capture buffers: %s", rte_strerror(rte_errno));
		cleanup(cap);
		return NULL;
	}
	/* The interface block's name is the device's: make it say the port. */
	snprintf(cap->vdev, sizeof(cap->vdev), "net_null_vsw%u_%s", seq, port->name);
	if (rte_eal_hotplug_add("vdev", cap->vdev, "") != 0 ||
	    rte_eth_dev_get_port_by_name(cap->vdev, &cap->ifport) != 0) {
		snprintf(err, errlen, "cannot make the capture's interface %s", cap->vdev);
		cap->vdev[0] = '\0';
		cleanup(cap);
		return NULL;
	}
	if (strlen(path) >= sizeof(cap->path)) {
		snprintf(err, errlen, "capture file name too long (at most %zu bytes)",
			 sizeof(cap->path) - 1);
		cleanup(cap);
		return NULL;
	}
	cap->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (cap->fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		cleanup(cap);
		return NULL;
	}
	char comment[128];
	snprintf(comment, sizeof(comment), "vsw port %s, %s", port->name,
		 rx && tx ? "both directions" : rx ? "received" : "sent");
	errno = 0;
	cap->pcapng = rte_pcapng_fdopen(cap->fd, NULL, NULL, "vsw " VSW_VERSION, comment);
	int why = errno; /* of its header write, or its allocation */
	off_t len = lseek(cap->fd, 0, SEEK_CUR);
	if (cap->pcapng == NULL || len <= 0) {
		snprintf(err, errlen, "cannot start a pcapng file in %s: %s", path,
			 strerror(cap->pcapng == NULL && why != 0 ? why : errno));
		cleanup(cap);
		return NULL;
	}
	cap->file_len = len;
	snprintf(cap->path, sizeof(cap->path), "%s", path);
	__atomic_store_n(&port->capture, cap, __ATOMIC_RELEASE);
	(void)sw;
	VSW_LOG(INFO, switch, "port %s: capturing %s to %s (at most %" PRIu64 " packets)",
		port->name, rx && tx ? "both directions" : rx ? "rx" : "tx", path, max_pkts);
	return cap;
}

/* A write came up short: one more byte says why (ENOSPC, EFBIG...), then
 * the partial block and that byte are cut off again. */
static void write_failed(struct vsw_capture *cap, ssize_t got, size_t want, int why)
{
	if (got >= 0) {
		char probe = 0;
		why = write(cap->fd, &probe, 1) < 0 ? errno : EIO;
	}
	bool cut = ftruncate(cap->fd, cap->file_len) == 0;
	snprintf(cap->error, sizeof(cap->error),
		 "writing %s failed after %" PRIu64 " packets (%zd of %zu bytes written): %s%s",
		 cap->path, cap->written, got > 0 ? got : 0, want, strerror(why),
		 cut ? "" : "; the last packet in the file is incomplete");
	VSW_LOG(ERR, switch, "port %s: capture stopped: %s", cap->port->name, cap->error);
}

bool vsw_capture_drain(struct vsw_capture *cap)
{
	struct rte_mbuf *pkts[64];
	unsigned int n;
	while ((n = rte_ring_dequeue_burst(cap->ring, (void **)pkts, RTE_DIM(pkts), NULL)) > 0) {
		if (cap->error[0] != '\0') {
			__atomic_fetch_add(&cap->dropped, n, __ATOMIC_RELAXED);
			rte_pktmbuf_free_bulk(pkts, n);
			continue;
		}
		size_t want = 0;
		for (unsigned int i = 0; i < n; i++)
			want += rte_pktmbuf_pkt_len(pkts[i]);
		ssize_t got = rte_pcapng_write_packets(cap->pcapng, pkts, (uint16_t)n);
		int why = rte_errno;
		/* The library writes the copies out but leaves them to us. */
		rte_pktmbuf_free_bulk(pkts, n);
		if (got != (ssize_t)want) {
			__atomic_fetch_add(&cap->dropped, n, __ATOMIC_RELAXED);
			write_failed(cap, got, want, why);
			continue;
		}
		cap->file_len += got;
		cap->written += n;
	}
	return cap->error[0] != '\0' ||
	       __atomic_load_n(&cap->taken_pkts, __ATOMIC_RELAXED) >= cap->max_pkts;
}

void vsw_capture_get_stats(const struct vsw_capture *cap, struct vsw_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->packets = __atomic_load_n(&cap->taken_pkts, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&cap->taken_bytes, __ATOMIC_RELAXED);
	st->dropped = __atomic_load_n(&cap->dropped, __ATOMIC_RELAXED);
	st->written = cap->written;
	st->done = st->packets >= cap->max_pkts || cap->error[0] != '\0';
	snprintf(st->file, sizeof(st->file), "%s", cap->path);
	snprintf(st->error, sizeof(st->error), "%s", cap->error);
}

void vsw_capture_stop(struct vsw_switch *sw, struct vsw_capture *cap, struct vsw_capture_stats *st)
{
	__atomic_store_n(&cap->port->capture, NULL, __ATOMIC_RELEASE);
	vsw_switch_sync(sw);
	vsw_capture_drain(cap);
	vsw_capture_get_stats(cap, st);
	st->done = true;
	VSW_LOG(INFO, switch, "port %s: capture stopped, %" PRIu64 " packets written to %s%s",
		cap->port->name, st->written, cap->path, cap->error[0] ? " (write failed)" : "");
	cleanup(cap);
}
