/* Unit tests of packet capture (src/switch/capture.c): a capture longer
 * than its buffer pool writes every packet (the copies go back to the pool
 * after each write); a write that fails (file size limit standing in for a
 * full disk) ends the capture with the reason, leaves a file of whole
 * pcapng blocks holding exactly the packets counted as written, and the
 * port can be captured again; a file that cannot take even the header is
 * refused at start. The pcapng files are read back block by block. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "switch/capture.h"
#include "switch/port.h"
#include "switch/switch.h"
#include "ut_eal.h"

#define PCAPNG_EPB 6u
#define FRAME_LEN 100

static struct rte_mempool *pool;
static struct vsw_switch sw; /* not running: its sync returns at once */
static struct vsw_port port;
static char dir[] = "/tmp/vsw-ut-capture.XXXXXX";

static void path_in_dir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void send_burst(struct vsw_capture *cap, unsigned int n)
{
	struct rte_mbuf *m[32];
	assert_true(n <= RTE_DIM(m));
	assert_int_equal(rte_pktmbuf_alloc_bulk(pool, m, n), 0);
	for (unsigned int i = 0; i < n; i++) {
		char *d = rte_pktmbuf_append(m[i], FRAME_LEN);
		memset(d, 0xab, FRAME_LEN);
		memset(d, 0xff, RTE_ETHER_ADDR_LEN);
	}
	vsw_capture_burst(cap, m, (uint16_t)n, false);
	rte_pktmbuf_free_bulk(m, n);
}

/* Walks the file's blocks: every block's two length fields agree and the
 * last block ends at the end of the file. Returns the packet blocks. */
static unsigned int pcapng_packets(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned int packets = 0, blocks = 0;
	uint32_t hdr[2];
	while (fread(hdr, sizeof(hdr), 1, f) == 1) {
		assert_true(hdr[1] >= 12 && hdr[1] % 4 == 0);
		assert_int_equal(fseek(f, (long)hdr[1] - 12, SEEK_CUR), 0);
		uint32_t trailer;
		if (fread(&trailer, sizeof(trailer), 1, f) != 1)
			fail_msg("block %u (type %u) is cut short", blocks, hdr[0]);
		assert_int_equal(trailer, hdr[1]);
		blocks++;
		packets += hdr[0] == PCAPNG_EPB;
	}
	assert_true(feof(f));
	long pos = ftell(f);
	fclose(f);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(pos, st.st_size); /* no partial block header at the end */
	assert_true(blocks >= 2);          /* section and interface blocks */
	return packets;
}

static struct vsw_capture *start(const char *file, uint64_t max_pkts)
{
	char path[512], err[512] = "";
	path_in_dir(path, sizeof(path), file);
	struct vsw_capture *cap = vsw_capture_start(&sw, &port, path, true, true, max_pkts,
						    1ull << 34, 9216, err, sizeof(err));
	if (cap == NULL)
		fail_msg("vsw_capture_start: %s", err);
	assert_ptr_equal(port.capture, cap);
	return cap;
}

static void test_more_packets_than_buffers(void **state)
{
	(void)state;
	/* The capture's own pool holds 2047 copies: 4000 only fit if each
	 * written copy goes back. */
	struct vsw_capture *cap = start("many.pcapng", 5000);
	for (unsigned int i = 0; i < 125; i++) {
		send_burst(cap, 32);
		assert_false(vsw_capture_drain(cap));
	}
	struct vsw_capture_stats st;
	vsw_capture_stop(&sw, cap, &st);
	assert_null(port.capture);
	assert_int_equal(st.packets, 4000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.written, 4000);
	assert_string_equal(st.error, "");
	char path[512];
	path_in_dir(path, sizeof(path), "many.pcapng");
	assert_int_equal(pcapng_packets(path), 4000);
}

static void test_write_failure_ends_capture(void **state)
{
	(void)state;
	struct vsw_capture *cap = start("full.pcapng", 100000);
	char path[512];
	path_in_dir(path, sizeof(path), "full.pcapng");
	struct stat st0;
	assert_int_equal(stat(path, &st0), 0);
	/* Room for the header and about 40 packets, then EFBIG: a disk that
	 * fills up mid-block, as ENOSPC would. */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)st0.st_size + 40 * (FRAME_LEN + 40) + 13;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	bool done = false;
	unsigned int bursts = 0;
	for (; bursts < 20 && !done; bursts++) {
		send_burst(cap, 8);
		done = vsw_capture_drain(cap);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	assert_true(done);
	struct vsw_capture_stats st;
	vsw_capture_get_stats(cap, &st);
	assert_true(st.done);
	assert_non_null(strstr(st.error, path));
	assert_non_null(strstr(st.error, strerror(EFBIG)));
	/* Packets after the failure are taken off the ring and counted. */
	send_burst(cap, 8);
	assert_true(vsw_capture_drain(cap));
	vsw_capture_stop(&sw, cap, &st);
	assert_null(port.capture);
	assert_true(st.written > 0 && st.written < 40);
	assert_int_equal(st.written + st.dropped, st.packets);
	assert_non_null(strstr(st.error, strerror(EFBIG)));
	assert_int_equal(pcapng_packets(path), st.written);

	/* The port can be captured again, to a file that works. */
	cap = start("again.pcapng", 10);
	send_burst(cap, 10);
	assert_true(vsw_capture_drain(cap)); /* the limit */
	vsw_capture_stop(&sw, cap, &st);
	assert_int_equal(st.written, 10);
	assert_string_equal(st.error, "");
	path_in_dir(path, sizeof(path), "again.pcapng");
	assert_int_equal(pcapng_packets(path), 10);
}

static void test_no_room_for_the_header(void **state)
{
	(void)state;
	char err[512] = "";
	struct vsw_capture *cap = vsw_capture_start(&sw, &port, "/dev/full", true, true, 10,
						    1ull << 34, 9216, err, sizeof(err));
	assert_null(cap);
	assert_null(port.capture);
	assert_non_null(strstr(err, "cannot start a pcapng file in /dev/full"));
	assert_non_null(strstr(err, strerror(ENOSPC)));
}

int main(void)
{
	char *args[] = { "test_capture", "--no-huge", "--no-pci", "-m", "128", "--no-shconf",
			 "--no-telemetry", "--log-level=*:error", "--file-prefix=vsw-ut-capture",
			 "-l", "0" };
	if (rte_eal_init((int)RTE_DIM(args), args) < 0)
		return 1;
	ut_eal_forget_runtime_dir();
	/* The file size limit must fail the write, not kill the test. */
	signal(SIGXFSZ, SIG_IGN);
	pool = rte_pktmbuf_pool_create("ut_cap", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || mkdtemp(dir) == NULL)
		return 1;
	snprintf(port.name, sizeof(port.name), "cap0");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_more_packets_than_buffers),
		cmocka_unit_test(test_write_failure_ends_capture),
		cmocka_unit_test(test_no_room_for_the_header),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
