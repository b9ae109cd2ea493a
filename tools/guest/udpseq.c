/* udpseq: a stream of numbered UDP datagrams whose every byte follows from
 * its number, and a receiver that checks each one. Built statically into
 * the test guest by build.sh for the live-migration test's integrity case
 * (tests/integration/test_qemu_migrate.sh): a datagram whose bytes are not
 * the ones its number says was corrupted on the way, e.g. read from guest
 * memory the destination never got after the switch wrote it on the source.
 *
 *   udpseq send HOST PORT RATE SECONDS
 *       RATE datagrams a second (paced every millisecond; slower if the
 *       guest cannot keep up) to HOST (an IPv4 address) for SECONDS or
 *       until SIGINT/SIGTERM, then an end marker (5 times) carrying how
 *       many were sent. Prints
 *       "UDPSEQ-SENT sent=N errors=N ms=N".
 *   udpseq recv PORT SECONDS [PAUSE_MS]
 *       until the end marker (then 300 ms more for stragglers) or SECONDS,
 *       reading in bursts PAUSE_MS (200) apart: a backlog of datagrams waits
 *       in the socket (in the RX buffers the switch wrote them to), and is
 *       read on the destination after a migration. Prints once a second and
 *       at the end
 *       "UDPSEQ-PROGRESS|UDPSEQ-RESULT received=N corrupted=N duplicates=N
 *        reordered=N missing=N maxseq=N sent=N" (sent -1: no marker seen),
 *       "UDPSEQ-BAD ..." for the first 10 corrupted datagrams and at the end
 *       "UDPSEQ-GAP from=SEQ count=N" for the first 10 runs of missing ones.
 *
 * Datagram seq: 8 bytes seq (little-endian), then bytes 8 to len - 1 from
 * splitmix64 seeded by seq; len = 1200 + a number from seq in [0, 200].
 * received counts distinct good datagrams; corrupted, any datagram whose
 * length or any byte is not its seq's (not counted in the others);
 * duplicates, a good seq seen again; reordered, a good seq below one seen
 * before; missing, the seqs below sent (or maxseq + 1) never received. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Above 1162 bytes a datagram does not leave the 320 bytes of tail room in
 * the guest's 1536-byte mergeable buffer that Linux virtio_net needs to
 * build its skb in place: it copies the first 128 bytes (headers and the
 * payload's start) and leaves the rest in the buffer until the socket is
 * read. So the guest never writes to these buffers, and a buffer the
 * switch filled unlogged stays stale at a migration's destination. */
#define LEN_MIN 1200
#define LEN_SPAN 201
#define SEQ_MAX (1u << 24) /* 16M datagrams: over an hour at 4000/s */
#define END_MAGIC 0x444e452d51455355ull /* "USEQ-END" */
#define BAD_SHOWN 10

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t seq_len(uint64_t seq)
{
	uint64_t s = seq ^ 0x5eed;
	return LEN_MIN + splitmix64(&s) % LEN_SPAN;
}

/* The datagram of seq into buf (at least LEN_MIN + LEN_SPAN bytes). */
static size_t fill(uint8_t *buf, uint64_t seq)
{
	size_t len = seq_len(seq);
	uint64_t s = seq, r = 0;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(seq >> (8 * i));
	for (size_t i = 8; i < len; i++) {
		if (i % 8 == 0)
			r = splitmix64(&s);
		buf[i] = (uint8_t)(r >> (8 * (i % 8)));
	}
	return len;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static volatile sig_atomic_t stopped;

static void on_stop(int sig)
{
	(void)sig;
	stopped = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int do_send(const char *host, int port, long rate, long seconds)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1 || rate <= 0 || seconds <= 0) {
		fprintf(stderr, "udpseq: send HOST(IPv4) PORT RATE(>0) SECONDS(>0)\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("udpseq: socket/connect");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	static uint8_t buf[LEN_MIN + LEN_SPAN];
	uint64_t seq = 0, errors = 0;
	int64_t t0 = now_ms(), t;
	while (!stopped && (t = now_ms() - t0) < seconds * 1000) {
		uint64_t due = (uint64_t)(t * rate / 1000);
		while (seq < due && seq < SEQ_MAX) {
			size_t len = fill(buf, seq);
			if (send(fd, buf, len, 0) == (ssize_t)len) {
				seq++;
			} else {
				/* ENOBUFS, or ECONNREFUSED from an ICMP error of
				 * an earlier one: this seq goes again later. */
				errors++;
				break;
			}
		}
		usleep(1000);
	}
	int64_t ms = now_ms() - t0;
	memset(buf, 0, 24);
	put64(buf, UINT64_MAX);
	put64(buf + 8, END_MAGIC);
	put64(buf + 16, seq);
	for (int i = 0; i < 5; i++) {
		if (send(fd, buf, 24, 0) != 24)
			errors++;
		usleep(20000);
	}
	printf("UDPSEQ-SENT sent=%llu errors=%llu ms=%lld\n", (unsigned long long)seq,
	       (unsigned long long)errors, (long long)ms);
	return 0;
}

struct counts {
	uint64_t received, corrupted, duplicates, reordered, maxseq;
	int64_t sent; /* -1 until the end marker */
	int any;
};

#define HAVE(seen, s) ((seen)[(s) / 8] & (1u << ((s) % 8)))

static void report(const char *what, const struct counts *c, const uint8_t *seen, int gaps)
{
	uint64_t top = c->sent >= 0 ? (uint64_t)c->sent : c->any ? c->maxseq + 1 : 0;
	uint64_t missing = 0;
	if (top > SEQ_MAX)
		top = SEQ_MAX;
	for (uint64_t s = 0; s < top; s++) {
		if (HAVE(seen, s))
			continue;
		uint64_t from = s;
		while (s + 1 < top && !HAVE(seen, s + 1))
			s++;
		missing += s + 1 - from;
		if (gaps-- > 0)
			printf("UDPSEQ-GAP from=%llu count=%llu\n", (unsigned long long)from,
			       (unsigned long long)(s + 1 - from));
	}
	printf("%s received=%llu corrupted=%llu duplicates=%llu reordered=%llu missing=%llu maxseq=%lld sent=%lld\n",
	       what, (unsigned long long)c->received, (unsigned long long)c->corrupted,
	       (unsigned long long)c->duplicates, (unsigned long long)c->reordered,
	       (unsigned long long)missing, c->any ? (long long)c->maxseq : -1LL, (long long)c->sent);
	fflush(stdout);
}

/* Why a datagram of n bytes is not its seq's: 0 when it is. */
static int check(const uint8_t *got, size_t n, uint8_t *want, uint64_t *seq_out)
{
	*seq_out = UINT64_MAX;
	if (n < 8)
		return 1;
	uint64_t seq = get64(got);
	*seq_out = seq;
	if (seq >= SEQ_MAX)
		return 1;
	size_t len = fill(want, seq);
	if (n != len)
		return 1;
	return memcmp(got, want, len) != 0;
}

static void show_bad(const uint8_t *got, size_t n, uint8_t *want, uint64_t seq)
{
	size_t len = seq < SEQ_MAX ? fill(want, seq) : 0, first = n, bad = 0;
	for (size_t i = 0; i < n && i < len; i++)
		if (got[i] != want[i]) {
			bad++;
			if (first == n)
				first = i;
		}
	printf("UDPSEQ-BAD seq=%llu len=%zu want_len=%zu first_bad=%zu bad_bytes=%zu\n",
	       (unsigned long long)seq, n, len, first, bad);
}

static int do_recv(int port, long seconds, long pause_ms)
{
	if (seconds <= 0) {
		fprintf(stderr, "udpseq: recv PORT SECONDS(>0)\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	int big = 4 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("udpseq: socket/bind");
		return 1;
	}
	/* A deep socket queue: datagrams still waiting to be read when the
	 * guest stops are read from guest memory on the destination. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	static uint8_t seen[SEQ_MAX / 8];
	static uint8_t got[65536], want[LEN_MIN + LEN_SPAN];
	struct counts c = { .sent = -1 };
	int64_t t0 = now_ms(), next = t0 + 1000, stop = t0 + seconds * 1000;
	printf("UDPSEQ-LISTENING port=%d\n", port);
	fflush(stdout);
	for (;;) {
		int64_t t = now_ms();
		if (t >= stop)
			break;
		if (t >= next) {
			report("UDPSEQ-PROGRESS", &c, seen, 0);
			next = t + 1000;
		}
		ssize_t n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
		if (n < 0) {
			usleep((useconds_t)pause_ms * 1000);
			continue;
		}
		uint64_t seq = 0;
		if (n == 24 && get64(got) == UINT64_MAX && get64(got + 8) == END_MAGIC) {
			if (c.sent < 0) {
				c.sent = (int64_t)get64(got + 16);
				if (stop > now_ms() + 300)
					stop = now_ms() + 300;
			}
			continue;
		}
		if (check(got, (size_t)n, want, &seq)) {
			if (c.corrupted++ < BAD_SHOWN)
				show_bad(got, (size_t)n, want, seq);
			continue;
		}
		if (HAVE(seen, seq)) {
			c.duplicates++;
			continue;
		}
		seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
		c.received++;
		if (c.any && seq < c.maxseq)
			c.reordered++;
		if (!c.any || seq > c.maxseq)
			c.maxseq = seq;
		c.any = 1;
	}
	report("UDPSEQ-RESULT", &c, seen, BAD_SHOWN);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5]));
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "recv") == 0)
		return do_recv(atoi(argv[2]), atol(argv[3]), argc == 5 ? atol(argv[4]) : 200);
	fprintf(stderr, "usage: udpseq send HOST PORT RATE SECONDS\n"
			"       udpseq recv PORT SECONDS [PAUSE_MS]\n");
	return 2;
}
