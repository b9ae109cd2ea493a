/* Big-endian field access and the Internet checksum (RFC 1071) written the
 * plain way, for tests and fuzz targets to check vsw's packet code against;
 * deliberately not vsw's own implementation. */
#ifndef VSW_TEST_NET_BYTES_H
#define VSW_TEST_NET_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)rd16(b) << 16 | rd16(b + 2);
}

static inline void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

/* s plus the 16-bit words of b[0..n) (an odd last byte padded with zero). */
static inline uint32_t sum_bytes(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(b + i);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
