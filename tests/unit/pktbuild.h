/* Test helper: build raw IPv4 TCP/UDP packets in a buffer (header-only). */
#ifndef NW_TEST_PKTBUILD_H
#define NW_TEST_PKTBUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/* Write an IPv4 packet with a TCP (proto 6) or UDP (17) header and payload; returns its length. */
static inline uint32_t pkt_build4(uint8_t *buf, uint8_t proto, const char *src, const char *dst,
				  uint16_t sport, uint16_t dport, uint8_t tcp_flags,
				  const char *payload)
{
	size_t plen = payload ? strlen(payload) : 0;
	uint32_t l4 = proto == 6 ? 20 : 8;
	uint32_t tot = 20 + l4 + (uint32_t)plen;

	memset(buf, 0, tot);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(tot >> 8);
	buf[3] = (uint8_t)tot;
	buf[8] = 64;
	buf[9] = proto;
	inet_pton(AF_INET, src, buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	uint8_t *l = buf + 20;
	l[0] = (uint8_t)(sport >> 8);
	l[1] = (uint8_t)sport;
	l[2] = (uint8_t)(dport >> 8);
	l[3] = (uint8_t)dport;
	if (proto == 6) {
		l[12] = 5 << 4;
		l[13] = tcp_flags;
		l[14] = 0xff;
	} else {
		l[4] = (uint8_t)((8 + plen) >> 8);
		l[5] = (uint8_t)(8 + plen);
	}
	if (plen)
		memcpy(l + l4, payload, plen);
	return tot;
}

#endif
