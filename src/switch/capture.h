/* Packet capture of one port and direction into a pcapng file (DPDK's
 * pcapng library, readable by tshark and Wireshark). Workers copy matching
 * packets into a ring, within a packet and byte limit; the control thread
 * drains the ring into the file, so workers never make a syscall. */
#ifndef VSW_CAPTURE_H
#define VSW_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct vsw_capture;
struct vsw_port;
struct vsw_switch;

#define VSW_CAPTURE_PATH_MAX 1024
#define VSW_CAPTURE_ERROR_MAX (VSW_CAPTURE_PATH_MAX + 256)

struct vsw_capture_stats {
	uint64_t packets, bytes; /* taken by the workers, within the limits */
	uint64_t dropped;        /* taken but not in the file */
	uint64_t written;        /* packets in the file */
	bool done; /* limit reached, writing failed, or stopped */
	char file[VSW_CAPTURE_PATH_MAX];
	char error[VSW_CAPTURE_ERROR_MAX]; /* why writing failed; "" if it did not */
};

/* Worker side: called only while port->capture is set. out: direction. */
void vsw_capture_burst(struct vsw_capture *cap, struct rte_mbuf *const *pkts, uint16_t n,
		       bool out);
bool vsw_capture_wants(const struct vsw_capture *cap, bool out);

/* Control side. */
struct vsw_capture *vsw_capture_start(struct vsw_switch *sw, struct vsw_port *port,
				      const char *path, bool rx, bool tx, uint64_t max_pkts,
				      uint64_t max_bytes, uint32_t snaplen, char *err,
				      size_t errlen);
/* Writes what the workers copied; returns true when the capture is done
 * (limit reached, or a write failed: the reason is logged and in the
 * stats' error) and should be stopped. */
bool vsw_capture_drain(struct vsw_capture *cap);
/* Detaches from the port, waits for the workers, writes the rest, closes. */
void vsw_capture_stop(struct vsw_switch *sw, struct vsw_capture *cap,
		      struct vsw_capture_stats *st);
void vsw_capture_get_stats(const struct vsw_capture *cap, struct vsw_capture_stats *st);

#endif
