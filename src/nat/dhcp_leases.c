/* The DHCP server's lease table and lease file. The table holds every
 * offered, bound or declined address (at most the range plus the statics),
 * with an index by address over the range; a client is its chaddr MAC.
 * Allocation prefers what the caller hints, else the lowest free address;
 * addresses of static entries are never handed to anyone else.
 *
 * The file keeps bound leases only (offers and declines are short-lived):
 *   vsw-dhcp-leases 1
 *   <mac aa:bb:cc:dd:ee:ff> <ip a.b.c.d> <expires, unix seconds>[ <hostname>]
 * one lease a line, each line ending in a newline; the hostname is the rest
 * of the line (printable ASCII, spaces allowed). It is rewritten whole to a
 * temporary file beside it, fsynced and renamed over it, so a crash leaves
 * the old or the new file, never half of one. Loading is strict: a file we
 * did not write whole is an error, not an empty lease set. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nat/dhcp_priv.h"

#define FILE_HEADER "vsw-dhcp-leases 1"
#define LINE_MAX_LEN 256

/* --- the table --- */

int vsw_dhcp_tab_init(struct vsw_dhcp *d, char *err, size_t errlen)
{
	unsigned int i;
	uint32_t ip;

	d->nrange = d->cfg.range_end - d->cfg.range_start + 1;
	d->cap = d->nrange + d->cfg.nstatics;
	d->e = calloc(d->cap, sizeof(*d->e));
	d->by_addr = malloc(d->nrange * sizeof(*d->by_addr));
	d->reserved = calloc(d->nrange, 1);
	if (!d->e || !d->by_addr || !d->reserved) {
		snprintf(err, errlen, "dhcp: out of memory");
		return -1;
	}
	for (i = 0; i < d->nrange; i++)
		d->by_addr[i] = -1;
	for (i = 0; i < d->cfg.nstatics; i++) {
		ip = d->cfg.statics[i].ip;
		if (ip >= d->cfg.range_start && ip <= d->cfg.range_end)
			d->reserved[ip - d->cfg.range_start] = 1;
	}
	return 0;
}

void vsw_dhcp_tab_free(struct vsw_dhcp *d)
{
	free(d->e);
	free(d->by_addr);
	free(d->reserved);
}

static bool in_range(const struct vsw_dhcp *d, uint32_t ip)
{
	return ip >= d->cfg.range_start && ip <= d->cfg.range_end;
}

const struct vsw_dhcp_static *vsw_dhcp_static_by_mac(const struct vsw_dhcp *d,
						     const uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < d->cfg.nstatics; i++)
		if (memcmp(d->cfg.statics[i].mac, mac, 6) == 0)
			return &d->cfg.statics[i];
	return NULL;
}

const struct vsw_dhcp_static *vsw_dhcp_static_by_ip(const struct vsw_dhcp *d, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < d->cfg.nstatics; i++)
		if (d->cfg.statics[i].ip == ip)
			return &d->cfg.statics[i];
	return NULL;
}

/* Declined entries belong to an address, not a client: not found here. */
struct vsw_dhcp_lease *vsw_dhcp_find_mac(struct vsw_dhcp *d, const uint8_t mac[6])
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		if (d->e[i].state != VSW_LEASE_DECLINED && memcmp(d->e[i].mac, mac, 6) == 0)
			return &d->e[i];
	return NULL;
}

/* Outside the range only static leases exist, so the scan is of those. */
struct vsw_dhcp_lease *vsw_dhcp_find_ip(const struct vsw_dhcp *d, uint32_t ip)
{
	unsigned int i;
	int32_t k;

	if (in_range(d, ip)) {
		k = d->by_addr[ip - d->cfg.range_start];
		return k < 0 ? NULL : &d->e[k];
	}
	for (i = 0; i < d->n; i++)
		if (d->e[i].ip == ip)
			return &d->e[i];
	return NULL;
}

/* Whether mac may take ip now: its own static address, or (for a client
 * without one) a free address of the range that no static keeps. */
bool vsw_dhcp_ip_usable(const struct vsw_dhcp *d, const uint8_t mac[6], uint32_t ip)
{
	const struct vsw_dhcp_static *s = vsw_dhcp_static_by_mac(d, mac);

	if (s)
		return s->ip == ip && !vsw_dhcp_find_ip(d, ip);
	return in_range(d, ip) && !d->reserved[ip - d->cfg.range_start] &&
	       d->by_addr[ip - d->cfg.range_start] < 0;
}

bool vsw_dhcp_alloc(const struct vsw_dhcp *d, const uint8_t mac[6], uint32_t hint,
		    uint32_t *ip)
{
	const struct vsw_dhcp_static *s = vsw_dhcp_static_by_mac(d, mac);
	uint32_t i;

	if (s)
		hint = s->ip;
	if (hint && vsw_dhcp_ip_usable(d, mac, hint)) {
		*ip = hint;
		return true;
	}
	if (s)
		return false;
	for (i = 0; i < d->nrange; i++) {
		if (!d->reserved[i] && d->by_addr[i] < 0) {
			*ip = d->cfg.range_start + i;
			return true;
		}
	}
	return false;
}

struct vsw_dhcp_lease *vsw_dhcp_lease_add(struct vsw_dhcp *d, const uint8_t mac[6],
					  uint32_t ip, enum vsw_dhcp_lease_state state,
					  time_t expires)
{
	const struct vsw_dhcp_static *s = vsw_dhcp_static_by_mac(d, mac);
	struct vsw_dhcp_lease *l;

	if (d->n >= d->cap || vsw_dhcp_find_ip(d, ip))
		return NULL;
	l = &d->e[d->n];
	memset(l, 0, sizeof(*l));
	memcpy(l->mac, mac, 6);
	l->ip = ip;
	l->state = state;
	l->is_static = s && s->ip == ip;
	l->expires = expires;
	if (in_range(d, ip))
		d->by_addr[ip - d->cfg.range_start] = (int32_t)d->n;
	d->n++;
	return l;
}

void vsw_dhcp_lease_del(struct vsw_dhcp *d, struct vsw_dhcp_lease *l)
{
	unsigned int k = (unsigned int)(l - d->e);

	if (in_range(d, l->ip))
		d->by_addr[l->ip - d->cfg.range_start] = -1;
	d->n--;
	if (k == d->n)
		return;
	d->e[k] = d->e[d->n];
	if (in_range(d, d->e[k].ip))
		d->by_addr[d->e[k].ip - d->cfg.range_start] = (int32_t)k;
}

/* --- the file: writing --- */

static void fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd); /* the rename is done; this only hastens it */
		close(fd);
	}
	free(copy);
}

static int write_leases(const struct vsw_dhcp *d, FILE *f)
{
	const struct vsw_dhcp_lease *l;
	unsigned int i;

	fprintf(f, "%s\n", FILE_HEADER);
	for (i = 0; i < d->n; i++) {
		l = &d->e[i];
		if (l->state != VSW_LEASE_BOUND)
			continue;
		fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x %u.%u.%u.%u %" PRId64 "%s%s\n",
			l->mac[0], l->mac[1], l->mac[2], l->mac[3], l->mac[4], l->mac[5],
			l->ip >> 24, (l->ip >> 16) & 255, (l->ip >> 8) & 255, l->ip & 255,
			(int64_t)l->expires, l->hostname[0] ? " " : "", l->hostname);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
		return -1;
	return 0;
}

int vsw_dhcp_file_save(struct vsw_dhcp *d)
{
	FILE *f;
	int rc;

	f = fopen(d->tmpfile, "we");
	if (!f)
		return -1;
	rc = write_leases(d, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(d->tmpfile, d->file) == 0) {
		fsync_dir(d->file);
		return 0;
	}
	unlink(d->tmpfile);
	return -1;
}

/* --- the file: reading --- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *parse_mac(const char *p, uint8_t mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0 || p[2] != (i < 5 ? ':' : ' '))
			return NULL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		p += 3;
	}
	return p;
}

/* Up to max decimal digits, at least one, value at most lim. */
static const char *parse_uint(const char *p, unsigned int max, uint64_t lim, uint64_t *v)
{
	unsigned int n = 0;

	*v = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < max) {
		*v = *v * 10 + (uint64_t)(p[n] - '0');
		n++;
	}
	if (n == 0 || (p[n] >= '0' && p[n] <= '9') || *v > lim)
		return NULL;
	return p + n;
}

static const char *parse_ip(const char *p, uint32_t *ip)
{
	uint64_t v;
	int i;

	*ip = 0;
	for (i = 0; i < 4; i++) {
		p = parse_uint(p, 3, 255, &v);
		if (!p || *p != (i < 3 ? '.' : ' '))
			return NULL;
		*ip = *ip << 8 | (uint32_t)v;
		p++;
	}
	return p;
}

static int parse_line(const char *p, struct vsw_dhcp_lease *l)
{
	uint64_t t;
	size_t n;

	memset(l, 0, sizeof(*l));
	p = parse_mac(p, l->mac);
	p = p ? parse_ip(p, &l->ip) : NULL;
	p = p ? parse_uint(p, 18, INT64_MAX, &t) : NULL;
	if (!p || (*p != '\0' && *p != ' '))
		return -1;
	l->expires = (time_t)t;
	if (*p++ == '\0')
		return 0;
	n = strlen(p);
	if (n == 0 || n >= sizeof(l->hostname))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return -1;
	memcpy(l->hostname, p, n + 1);
	return 0;
}

/* Leases no longer valid under this cfg (expired, out of the range, a
 * static moved) are left out; a second lease for a MAC or address means the
 * file is not one we wrote. */
static const char *load_one(struct vsw_dhcp *d, const struct vsw_dhcp_lease *in, time_t now)
{
	const struct vsw_dhcp_static *s = vsw_dhcp_static_by_mac(d, in->mac);
	struct vsw_dhcp_lease *l;

	if (in->expires <= now)
		return NULL;
	if (s ? s->ip != in->ip
	      : !in_range(d, in->ip) || d->reserved[in->ip - d->cfg.range_start])
		return NULL;
	if (vsw_dhcp_find_mac(d, in->mac))
		return "MAC leased twice";
	l = vsw_dhcp_lease_add(d, in->mac, in->ip, VSW_LEASE_BOUND, in->expires);
	if (!l)
		return "address leased twice";
	memcpy(l->hostname, in->hostname, sizeof(l->hostname));
	return NULL;
}

static const char *load_line(struct vsw_dhcp *d, char *line, unsigned int lineno,
			     time_t now)
{
	struct vsw_dhcp_lease l;
	size_t n = strlen(line);

	if (n == 0 || line[n - 1] != '\n')
		return "line too long, unterminated or holding a NUL byte";
	line[n - 1] = '\0';
	if (lineno == 1)
		return strcmp(line, FILE_HEADER) == 0 ? NULL : "not a vsw lease file (header)";
	if (parse_line(line, &l) != 0)
		return "malformed lease";
	return load_one(d, &l, now);
}

int vsw_dhcp_file_load(struct vsw_dhcp *d, time_t now, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN];
	unsigned int lineno = 0;
	const char *why = NULL;
	FILE *f;

	f = fopen(d->file, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", d->file, strerror(errno));
		return -1;
	}
	while (!why && fgets(line, sizeof(line), f))
		why = load_line(d, line, ++lineno, now);
	if (!why && ferror(f))
		why = "read error";
	if (!why && lineno == 0)
		why = "empty file, no header";
	fclose(f);
	if (!why)
		return 0;
	snprintf(err, errlen, "%s:%u: %s", d->file, lineno ? lineno : 1, why);
	return -1;
}
