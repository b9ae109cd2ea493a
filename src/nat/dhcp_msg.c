/* DHCP on the wire: parsing a client's frame (Ethernet II, IPv4, UDP to
 * port 67, BOOTP, the options of RFC 2132) as untrusted bytes, and writing
 * a reply frame with its checksums and its destination chosen as RFC 2131
 * section 4.1 says. No state: dhcp.c decides what to answer.
 *
 * Choices: a VLAN-tagged frame is not ours (not_dhcp). A first IP fragment
 * to port 67 is malformed (no reassembly; DHCP messages are never that
 * large), later fragments are not_dhcp (no port to see). The UDP checksum
 * is not verified: a renewing client sends from an ordinary socket and a
 * virtio guest may leave that checksum partial (offload). Option overload
 * (52) is honoured: the file then sname fields are walked after the options
 * field, each must hold an end option. A repeated option 53, 50, 54 or 52 is
 * malformed (its concatenation, RFC 3396, would have the wrong length). A
 * message without option 53 is plain BOOTP, which is not served. */
#include <string.h>

#include "nat/dhcp_priv.h"

#define ETH_LEN 14u
#define IP_LEN 20u
#define UDP_LEN 8u
#define ETHERTYPE_IPV4 0x0800u
#define IP_MF 0x2000u
#define IP_OFFMASK 0x1fffu

typedef enum vsw_dhcp_parse_res pres;

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	return wr16(p + 2, (uint16_t)v);
}

/* Ones'-complement sum of big-endian 16-bit words, unfolded. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* --- parsing --- */

/* The IPv4 header at p (len bytes to the frame's end): the UDP datagram's
 * span if the packet is UDP, with *mf set for a first fragment. */
static pres parse_ipv4(const uint8_t *p, size_t len, const uint8_t **l4, size_t *l4len,
		       bool *mf)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < IP_LEN || p[0] >> 4 != 4)
		return VSW_DHCP_PARSE_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = rd16(p + 2);
	if (ihl < IP_LEN || ihl > len || tot < ihl || tot > len)
		return VSW_DHCP_PARSE_MALFORMED;
	if (fold(sum16(0, p, ihl)) != 0xffff)
		return VSW_DHCP_PARSE_MALFORMED;
	frag = rd16(p + 6);
	if (p[9] != 17 || (frag & IP_OFFMASK))
		return VSW_DHCP_PARSE_NOT_DHCP;
	*mf = frag & IP_MF;
	*l4 = p + ihl;
	*l4len = tot - ihl;
	return VSW_DHCP_PARSE_OK;
}

static pres parse_udp(const uint8_t *p, size_t len, bool mf, const uint8_t **pl,
		      size_t *pllen)
{
	size_t ulen;

	if (len < UDP_LEN)
		return VSW_DHCP_PARSE_MALFORMED;
	if (rd16(p + 2) != VSW_DHCP_SERVER_PORT)
		return VSW_DHCP_PARSE_NOT_DHCP;
	ulen = rd16(p + 4);
	if (mf || ulen < UDP_LEN || ulen > len)
		return VSW_DHCP_PARSE_MALFORMED;
	*pl = p + UDP_LEN;
	*pllen = ulen - UDP_LEN;
	return VSW_DHCP_PARSE_OK;
}

/* Printable ASCII only, else the name is left out altogether. */
static void take_hostname(struct vsw_dhcp_msg *m, const uint8_t *v, size_t n)
{
	size_t i;

	if (m->hostname[0] || n == 0)
		return;
	if (n > sizeof(m->hostname) - 1)
		n = sizeof(m->hostname) - 1;
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return;
	memcpy(m->hostname, v, n);
	m->hostname[n] = '\0';
}

static pres take_addr(bool *has, uint32_t *ip, const uint8_t *v, size_t n)
{
	if (n != 4 || *has)
		return VSW_DHCP_PARSE_MALFORMED;
	*has = true;
	*ip = rd32(v);
	return VSW_DHCP_PARSE_OK;
}

/* overload is NULL inside the file and sname fields, where option 52 may
 * not appear. */
static pres take_opt(struct vsw_dhcp_msg *m, uint8_t code, const uint8_t *v, size_t n,
		     uint8_t *overload)
{
	switch (code) {
	case 53:
		if (n != 1 || m->type || v[0] == 0)
			return VSW_DHCP_PARSE_MALFORMED;
		m->type = v[0];
		return VSW_DHCP_PARSE_OK;
	case 50:
		return take_addr(&m->has_req_ip, &m->req_ip, v, n);
	case 54:
		return take_addr(&m->has_server_id, &m->server_id, v, n);
	case 52:
		if (!overload || *overload || n != 1 || v[0] < 1 || v[0] > 3)
			return VSW_DHCP_PARSE_MALFORMED;
		*overload = v[0];
		return VSW_DHCP_PARSE_OK;
	case 12:
		take_hostname(m, v, n);
		return VSW_DHCP_PARSE_OK;
	default:
		return VSW_DHCP_PARSE_OK;
	}
}

/* One options area: pads skipped, every length inside it, ends with 255. */
static pres walk_opts(struct vsw_dhcp_msg *m, const uint8_t *p, size_t len, uint8_t *overload)
{
	size_t i = 0, n;
	uint8_t code;
	pres r;

	while (i < len) {
		code = p[i++];
		if (code == 0)
			continue;
		if (code == 255)
			return VSW_DHCP_PARSE_OK;
		if (i >= len)
			return VSW_DHCP_PARSE_MALFORMED;
		n = p[i++];
		if (n > len - i)
			return VSW_DHCP_PARSE_MALFORMED;
		r = take_opt(m, code, p + i, n, overload);
		if (r != VSW_DHCP_PARSE_OK)
			return r;
		i += n;
	}
	return VSW_DHCP_PARSE_MALFORMED;
}

static pres parse_options(struct vsw_dhcp_msg *m, const uint8_t *b, size_t len)
{
	uint8_t overload = 0;
	pres r;

	r = walk_opts(m, b + VSW_DHCP_OPT_OFF, len - VSW_DHCP_OPT_OFF, &overload);
	if (r == VSW_DHCP_PARSE_OK && (overload & 1))
		r = walk_opts(m, b + 108, 128, NULL);
	if (r == VSW_DHCP_PARSE_OK && (overload & 2))
		r = walk_opts(m, b + 44, 64, NULL);
	return r;
}

static bool mac_unicast(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static pres parse_bootp(const uint8_t *b, size_t len, struct vsw_dhcp_msg *m)
{
	pres r;

	if (len < VSW_DHCP_OPT_OFF)
		return VSW_DHCP_PARSE_MALFORMED;
	if (b[0] != 1)
		return VSW_DHCP_PARSE_NOT_DHCP;
	if (b[1] != 1 || b[2] != 6 || !mac_unicast(b + 28))
		return VSW_DHCP_PARSE_MALFORMED;
	if (rd32(b + VSW_DHCP_FIXED_LEN) != VSW_DHCP_COOKIE)
		return VSW_DHCP_PARSE_NOT_DHCP;
	m->xid = rd32(b + 4);
	m->flags = rd16(b + 10);
	m->ciaddr = rd32(b + 12);
	m->giaddr = rd32(b + 24);
	memcpy(m->chaddr, b + 28, 6);
	r = parse_options(m, b, len);
	if (r != VSW_DHCP_PARSE_OK)
		return r;
	if (m->type == 0)
		return VSW_DHCP_PARSE_NOT_DHCP;
	switch (m->type) {
	case VSW_DHCPDISCOVER:
	case VSW_DHCPREQUEST:
	case VSW_DHCPDECLINE:
	case VSW_DHCPRELEASE:
	case VSW_DHCPINFORM:
		return VSW_DHCP_PARSE_OK;
	default: /* a server's message type from a client */
		return VSW_DHCP_PARSE_MALFORMED;
	}
}

enum vsw_dhcp_parse_res vsw_dhcp_parse(const uint8_t *frame, size_t len,
				       struct vsw_dhcp_msg *m)
{
	const uint8_t *l4, *pl;
	size_t l4len, pllen;
	bool mf;
	pres r;

	memset(m, 0, sizeof(*m));
	if (len < ETH_LEN)
		return VSW_DHCP_PARSE_MALFORMED;
	if (rd16(frame + 12) != ETHERTYPE_IPV4)
		return VSW_DHCP_PARSE_NOT_DHCP;
	r = parse_ipv4(frame + ETH_LEN, len - ETH_LEN, &l4, &l4len, &mf);
	if (r != VSW_DHCP_PARSE_OK)
		return r;
	r = parse_udp(l4, l4len, mf, &pl, &pllen);
	if (r != VSW_DHCP_PARSE_OK)
		return r;
	return parse_bootp(pl, pllen, m);
}

/* --- building --- */

static uint8_t *opt_u32(uint8_t *o, uint8_t code, uint32_t v)
{
	o[0] = code;
	o[1] = 4;
	return wr32(o + 2, v);
}

static uint8_t *put_options(const struct vsw_dhcp_cfg *cfg, const struct vsw_dhcp_reply *r,
			    uint8_t *o)
{
	unsigned int i;

	*o++ = 53;
	*o++ = 1;
	*o++ = r->type;
	o = opt_u32(o, 54, cfg->server_ip);
	if (r->lease) {
		o = opt_u32(o, 51, cfg->lease_s);
		o = opt_u32(o, 58, cfg->lease_s / 2);
		o = opt_u32(o, 59, (uint32_t)((uint64_t)cfg->lease_s * 7 / 8));
	}
	if (r->config) {
		o = opt_u32(o, 1, cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0);
		o = opt_u32(o, 3, cfg->server_ip);
		if (cfg->ndns && cfg->ndns <= VSW_DHCP_MAX_DNS) {
			*o++ = 6;
			*o++ = (uint8_t)(4 * cfg->ndns);
			for (i = 0; i < cfg->ndns; i++)
				o = wr32(o, cfg->dns[i]);
		}
		if (cfg->mtu) {
			*o++ = 26;
			*o++ = 2;
			o = wr16(o, cfg->mtu);
		}
	}
	*o++ = 255;
	return o;
}

/* The BOOTREPLY at b; returns its length, padded to the BOOTP minimum. */
static size_t put_bootp(const struct vsw_dhcp_cfg *cfg, const struct vsw_dhcp_msg *m,
			const struct vsw_dhcp_reply *r, uint8_t *b)
{
	size_t len;

	memset(b, 0, VSW_DHCP_OPT_OFF);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	wr32(b + 4, m->xid);
	wr16(b + 10, m->flags);
	/* ciaddr is echoed only in an ACK (RFC 2131 table 3) */
	wr32(b + 12, r->type == VSW_DHCPACK ? m->ciaddr : 0);
	wr32(b + 16, r->yiaddr);
	memcpy(b + 28, m->chaddr, 6);
	wr32(b + VSW_DHCP_FIXED_LEN, VSW_DHCP_COOKIE);
	len = (size_t)(put_options(cfg, r, b + VSW_DHCP_OPT_OFF) - b);
	if (len < VSW_DHCP_MIN_LEN) {
		memset(b + len, 0, VSW_DHCP_MIN_LEN - len);
		len = VSW_DHCP_MIN_LEN;
	}
	return len;
}

/* RFC 2131 4.1 with giaddr zero (relays are not served): NAK broadcast;
 * else to ciaddr if set; else broadcast if the client asked; else to
 * yiaddr at chaddr. */
static void reply_dest(const struct vsw_dhcp_msg *m, const struct vsw_dhcp_reply *r,
		       uint32_t *ip, uint8_t mac[6])
{
	if (r->type != VSW_DHCPNAK && m->ciaddr) {
		*ip = m->ciaddr;
	} else if (r->type != VSW_DHCPNAK && !(m->flags & VSW_DHCP_FLAG_BROADCAST) &&
		   r->yiaddr) {
		*ip = r->yiaddr;
	} else {
		*ip = 0xffffffffu;
		memset(mac, 0xff, 6);
		return;
	}
	memcpy(mac, m->chaddr, 6);
}

static void put_ip_udp(uint8_t *ip, uint32_t src, uint32_t dst, size_t plen)
{
	uint8_t *udp = ip + IP_LEN;
	size_t ulen = UDP_LEN + plen;
	uint32_t s;
	uint16_t c;

	memset(ip, 0, IP_LEN);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(IP_LEN + ulen));
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	wr16(ip + 10, (uint16_t)~fold(sum16(0, ip, IP_LEN)));
	wr16(udp, VSW_DHCP_SERVER_PORT);
	wr16(udp + 2, VSW_DHCP_CLIENT_PORT);
	wr16(udp + 4, (uint16_t)ulen);
	wr16(udp + 6, 0);
	s = sum16(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	c = (uint16_t)~fold(sum16(s, udp, ulen));
	wr16(udp + 6, c ? c : 0xffff);
}

size_t vsw_dhcp_build(const struct vsw_dhcp_cfg *cfg, const struct vsw_dhcp_msg *m,
		      const struct vsw_dhcp_reply *r, uint8_t *out, size_t cap)
{
	/* the longest reply: every option, well under the padding minimum + 64 */
	const size_t most = ETH_LEN + IP_LEN + UDP_LEN + VSW_DHCP_MIN_LEN + 64;
	uint8_t *ip = out + ETH_LEN;
	uint32_t dst;
	size_t plen;

	if (cap < most)
		return 0;
	plen = put_bootp(cfg, m, r, ip + IP_LEN + UDP_LEN);
	reply_dest(m, r, &dst, out);
	memcpy(out + 6, cfg->server_mac, 6);
	wr16(out + 12, ETHERTYPE_IPV4);
	put_ip_udp(ip, cfg->server_ip, dst, plen);
	return ETH_LEN + IP_LEN + UDP_LEN + plen;
}
