/* plugins/signature/tests/test_sig_match.c: matcher unit tests (content semantics, pcre, packet keywords, thresholds, flowbits, stream). */
#include "sig_test.h"

#define R(opts) "alert tcp any any -> any any (sid:1; " opts ")"

static void test_content_basic_nocase_negated(void **state)
{
	assert_true(SIG_ONE(R("content:\"evil\";"), "an evil payload"));
	assert_false(SIG_ONE(R("content:\"EVIL\";"), "an evil payload"));
	assert_true(SIG_ONE(R("content:\"EVIL\"; nocase;"), "an eViL payload"));
	assert_false(SIG_ONE(R("content:!\"evil\";"), "an evil payload"));
	assert_true(SIG_ONE(R("content:!\"evil\";"), "a nice payload"));
	assert_true(sig_test_one(R("content:\"|00 01|A\";"), "x\x00\x01" "Ay", 5));
}

static void test_content_offset_depth(void **state)
{
	/* depth counts from offset */
	assert_true(SIG_ONE(R("content:\"GET\"; depth:3;"), "GET /"));
	assert_false(SIG_ONE(R("content:\"GET\"; depth:3;"), " GET /"));
	assert_true(SIG_ONE(R("content:\"abc\"; offset:2; depth:3;"), "xxabc"));
	assert_false(SIG_ONE(R("content:\"abc\"; offset:2; depth:3;"), "xxxabc"));
	assert_false(SIG_ONE(R("content:\"abc\"; offset:3;"), "xxabc"));
	assert_true(SIG_ONE(R("content:\"abc\"; startswith;"), "abcdef"));
	assert_false(SIG_ONE(R("content:\"abc\"; startswith;"), "xabcdef"));
	assert_true(SIG_ONE(R("content:\"def\"; endswith;"), "abcdef"));
	assert_false(SIG_ONE(R("content:\"def\"; endswith;"), "abcdefx"));
	assert_true(SIG_ONE(R("content:\"def\"; endswith;"), "defxxdef"));
}

static void test_content_relative_backtracking(void **state)
{
	/* the first "a=" is followed by no "1" within 2; the second is: Suricata finds it */
	assert_true(SIG_ONE(R("content:\"a=\"; content:\"1\"; within:2;"), "a=xxxx a=1"));
	assert_true(SIG_ONE(R("content:\"a=\"; content:\"1\"; distance:0; within:1;"), "a=2 a=1"));
	assert_false(SIG_ONE(R("content:\"a=\"; content:\"1\"; distance:0; within:1;"), "a=2 a=3 1"));
	/* distance: skip bytes after the previous match */
	assert_true(SIG_ONE(R("content:\"ab\"; content:\"cd\"; distance:2;"), "abxxcd"));
	assert_false(SIG_ONE(R("content:\"ab\"; content:\"cd\"; distance:3;"), "abxxcd"));
	/* negative distance looks back */
	assert_true(SIG_ONE(R("content:\"cd\"; content:\"ab\"; distance:-4; within:2;"), "abcd"));
	/* three levels: the middle one must be retried too */
	assert_true(SIG_ONE(R("content:\"A\"; content:\"B\"; distance:0; within:1; content:\"C\"; distance:0; within:1;"),
			    "AB AxBC ABC"));
}

static void test_content_negated_relative(void **state)
{
	/* "user" not followed by "root" within 6 */
	const char *rule = R("content:\"user \"; content:!\"root\"; distance:0; within:4;");
	assert_false(SIG_ONE(rule, "user root"));
	assert_true(SIG_ONE(rule, "user bob"));
	/* the first occurrence is followed by root, a later one is not: still a match */
	assert_true(SIG_ONE(rule, "user root; user bob"));
}

static void test_isdataat(void **state)
{
	assert_true(SIG_ONE(R("content:\"A\"; isdataat:2,relative;"), "Axx"));
	assert_false(SIG_ONE(R("content:\"A\"; isdataat:3,relative;"), "Axx"));
	assert_true(SIG_ONE(R("content:\"END\"; isdataat:!1,relative;"), "the END"));
	assert_false(SIG_ONE(R("content:\"END\"; isdataat:!1,relative;"), "the END."));
	assert_true(SIG_ONE(R("isdataat:4;"), "12345"));
	assert_false(SIG_ONE(R("isdataat:5;"), "12345"));
}

static void test_pcre(void **state)
{
	assert_true(SIG_ONE(R("pcre:\"/id=\\d+/\";"), "GET /?id=42"));
	assert_false(SIG_ONE(R("pcre:\"/ID=\\d+/\";"), "GET /?id=42"));
	assert_true(SIG_ONE(R("pcre:\"/ID=\\d+/i\";"), "GET /?id=42"));
	assert_true(SIG_ONE(R("pcre:!\"/admin/\";"), "GET /"));
	/* R: anchored at the end of the previous match (^ = right after it) */
	assert_true(SIG_ONE(R("content:\"user=\"; pcre:\"/^[a-z]+\\;/R\";"), "x user=abc; y"));
	assert_false(SIG_ONE(R("content:\"user=\"; pcre:\"/^[a-z]+\\;/R\";"), "x user=1abc; y"));
	/* backtracking into a pcre match */
	assert_true(SIG_ONE(R("pcre:\"/k[0-9]/\"; content:\"!\"; within:1;"), "k1 k2!"));
	/* s and m flags */
	assert_true(SIG_ONE(R("pcre:\"/a.b/s\";"), "a\nb"));
	assert_false(SIG_ONE(R("pcre:\"/a.b/\";"), "a\nb"));
	assert_true(SIG_ONE(R("pcre:\"/^two$/m\";"), "one\ntwo\nthree"));
}

static void test_byte_test_jump(void **state)
{
	assert_true(SIG_ONE(R("byte_test:2,>,0x100,0;"), "\x01\x01zz"));
	assert_false(SIG_ONE(R("byte_test:2,>,0x101,0;"), "\x01\x01zz"));
	assert_true(SIG_ONE(R("byte_test:2,=,0x0201,0,little;"), "\x01\x02"));
	assert_true(SIG_ONE(R("byte_test:3,>,99,1,string,dec;"), "x100"));
	assert_true(SIG_ONE(R("byte_test:1,!=,5,0;"), "\x04"));
	assert_true(SIG_ONE(R("byte_test:1,&,0x80,0;"), "\x81"));
	/* length-prefixed field: jump over it, then the next content is relative */
	assert_true(SIG_ONE(R("byte_jump:1,0; content:\"X\"; within:1;"), "\x03" "abcX"));
	assert_false(SIG_ONE(R("byte_jump:1,0; content:\"X\"; within:1;"), "\x02" "abcX"));
	assert_false(SIG_ONE(R("byte_jump:1,0;"), "\x09" "abc")); /* beyond the end */
}

/* string forms: up to 10 bytes of dec/hex/oct read as strtoull would (white space, +, 0x),
 * binary up to 8; bitmask (and shift by its trailing zeros); ^ is xor */
static void test_byte_string_forms(void **state)
{
	(void)state;
	assert_true(SIG_ONE(R("byte_test:10,=,4000000000,0,string,dec;"), "4000000000"));
	assert_true(SIG_ONE(R("byte_test:10,=,4000000000,0,string;"), "4000000000")); /* dec */
	assert_true(SIG_ONE(R("byte_test:10,=,0xffffffffff,0,string,hex;"), "ffffffffff"));
	assert_true(SIG_ONE(R("byte_test:6,=,0x1f,0,string,hex;"), "0x001f"));
	assert_true(SIG_ONE(R("byte_test:4,=,0x1f,0,hex,string;"), "001F")); /* any order */
	assert_true(SIG_ONE(R("byte_test:3,=,8,0,string,oct;"), "010"));
	assert_false(SIG_ONE(R("byte_test:3,=,8,0,string,oct;"), "019")); /* reads 01 */
	assert_true(SIG_ONE(R("byte_test:5,=,42,0,string,dec;"), "   42"));
	assert_true(SIG_ONE(R("byte_test:5,=,42,0,string,dec;"), "+42xy"));
	assert_true(SIG_ONE(R("byte_test:4,=,12,0,string,dec;"), "12ab")); /* stops at a */
	assert_false(SIG_ONE(R("byte_test:3,>,0,0,string,dec;"), "abc"));
	assert_false(SIG_ONE(R("byte_test:3,<,9,0,string,dec;"), "-5x"));
	assert_false(SIG_ONE(R("byte_test:10,=,1,0,string,dec;"), "1")); /* not 10 bytes there */
	assert_true(SIG_ONE(R("content:\"L=\"; byte_test:4,>,999,0,relative,string,dec;"), "L=1000"));
	/* bitmask: 568 << 4 = 0x2380 */
	assert_true(SIG_ONE(R("byte_test:2,=,568,0,bitmask 0x3FF0;"), "\x23\x80"));
	assert_false(SIG_ONE(R("byte_test:2,=,568,0;"), "\x23\x80"));
	assert_true(SIG_ONE(R("byte_test:1,^,0x0f,0;"), "\x0e"));
	assert_false(SIG_ONE(R("byte_test:1,^,0x0f,0;"), "\x0f"));
	assert_true(SIG_ONE(R("byte_test:1,!^,0x0f,0;"), "\x0f"));
	/* byte_jump over a decimal / hex length, with a bitmask */
	assert_true(SIG_ONE(R("byte_jump:3,0,string,dec; content:\"X\"; within:1;"), "004abcdX"));
	assert_true(SIG_ONE(R("byte_jump:4,0,string,hex; content:\"X\"; within:1;"), "000aabcdefghijX"));
	assert_true(SIG_ONE(R("byte_jump:2,0,bitmask 0x00ff; content:\"X\"; within:1;"), "\xff\x02" "abX"));
	assert_true(SIG_ONE(R("byte_jump:10,0,string,dec; content:\"X\"; within:1;"), "0000000001aX"));
	/* limits and option errors */
	assert_non_null(strstr(sig_test_error(R("byte_test:11,=,1,0,string,dec;")), "bytes must be"));
	assert_non_null(strstr(sig_test_error(R("byte_test:9,=,1,0;")), "more than 8 bytes"));
	assert_non_null(strstr(sig_test_error(R("byte_jump:9,0;")), "more than 8 bytes"));
	assert_non_null(strstr(sig_test_error(R("byte_test:2,=,1,0,hex;")), "need string"));
	assert_non_null(strstr(sig_test_error(R("byte_test:2,=,1,0,string,hex,dec;")), "more than one"));
	assert_non_null(strstr(sig_test_error(R("byte_test:2,=,1,0,bitmask 0;")), "bitmask"));
}

static void test_flags_modifiers(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp any any -> any any (sid:1; flags:S;)",
				"alert tcp any any -> any any (sid:2; flags:S+;)",
				"alert tcp any any -> any any (sid:3; flags:*SF;)",
				"alert tcp any any -> any any (sid:4; flags:!R;)",
				"alert tcp any any -> any any (sid:5; flags:S,CE;)",
				"alert tcp any any -> any any (sid:6; flags:0;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 6, &errs);
	struct nw_pkt_info pi;

	sig_test_pkt(&pi, "", 0);
	pi.tcp_flags = NW_TCP_SYN;
	assert_true(sig_test_eval(rs, 1, &pi, NULL, 0));
	assert_true(sig_test_eval(rs, 2, &pi, NULL, 0));
	assert_true(sig_test_eval(rs, 3, &pi, NULL, 0));
	assert_true(sig_test_eval(rs, 4, &pi, NULL, 0));
	assert_true(sig_test_eval(rs, 5, &pi, NULL, 0));
	assert_false(sig_test_eval(rs, 6, &pi, NULL, 0));
	pi.tcp_flags = NW_TCP_SYN | NW_TCP_ACK;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 0)); /* exact */
	assert_true(sig_test_eval(rs, 2, &pi, NULL, 0));  /* S and any others */
	pi.tcp_flags = NW_TCP_SYN | NW_TCP_ECE | NW_TCP_CWR;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 0));
	assert_true(sig_test_eval(rs, 5, &pi, NULL, 0));  /* CE ignored */
	pi.tcp_flags = NW_TCP_FIN | NW_TCP_ACK;
	assert_true(sig_test_eval(rs, 3, &pi, NULL, 0));
	pi.tcp_flags = NW_TCP_RST;
	assert_false(sig_test_eval(rs, 4, &pi, NULL, 0));
	pi.tcp_flags = 0;
	assert_true(sig_test_eval(rs, 6, &pi, NULL, 0));
	/* flags never match UDP */
	pi.ip_proto = 17;
	pi.tcp_flags = NW_TCP_SYN;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 0));
	sig_ruleset_free(rs);
}

static void test_dsize_ttl_ranges(void **state)
{
	assert_true(SIG_ONE(R("dsize:5;"), "12345"));
	assert_false(SIG_ONE(R("dsize:5;"), "1234"));
	assert_true(SIG_ONE(R("dsize:>4;"), "12345"));
	assert_true(SIG_ONE(R("dsize:<6;"), "12345"));
	assert_false(SIG_ONE(R("dsize:<5;"), "12345"));
	assert_true(SIG_ONE(R("dsize:4<>6;"), "12345"));  /* exclusive range */
	assert_false(SIG_ONE(R("dsize:5<>7;"), "12345"));
	assert_true(SIG_ONE(R("dsize:>=5;"), "12345"));
	assert_true(SIG_ONE(R("dsize:!4;"), "12345"));
	assert_true(SIG_ONE(R("ttl:64;"), "x"));
	assert_true(SIG_ONE(R("ttl:<65;"), "x"));
	assert_false(SIG_ONE(R("ttl:>64;"), "x"));
	assert_true(SIG_ONE(R("ip_proto:tcp;"), "x"));
	assert_false(SIG_ONE(R("ip_proto:!6;"), "x"));
}

static void test_icmp_keywords(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert icmp any any -> any any (sid:1; itype:8; icode:0; icmp_id:7; icmp_seq:>2;)",
				"alert icmp any any -> any any (sid:2; itype:3;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 2, &errs);
	struct nw_pkt_info pi;

	sig_test_pkt(&pi, "ping", 4);
	pi.ip_proto = 1;
	pi.icmp_type = 8;
	pi.icmp_id = 7;
	pi.icmp_seq = 3;
	assert_true(sig_test_eval(rs, 1, &pi, NULL, 0));
	assert_false(sig_test_eval(rs, 2, &pi, NULL, 0));
	pi.icmp_seq = 2;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 0));
	pi.ip_proto = 58; /* icmp rules cover ICMPv6 */
	pi.icmp_seq = 3;
	assert_true(sig_test_eval(rs, 1, &pi, NULL, 0));
	pi.ip_proto = 6;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 0));
	sig_ruleset_free(rs);
}

static void test_header_direction_flow(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp 10.0.0.0/8 any -> any 80 (sid:1;)",
				"alert tcp any 80 <> 10.0.0.1 any (sid:2;)",
				"alert tcp any any -> any any (sid:3; flow:established,to_server;)",
				"alert tcp any any -> any any (sid:4; flow:to_client;)",
				"alert udp any any -> any any (sid:5;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 5, &errs);
	struct nw_pkt_info pi;

	assert_int_equal(errs.n, 0);
	sig_test_pkt(&pi, "x", 1);
	assert_true(sig_test_eval(rs, 1, &pi, NULL, 1));
	assert_true(sig_test_eval(rs, 2, &pi, NULL, 1)); /* reversed direction */
	assert_true(sig_test_eval(rs, 3, &pi, NULL, 1));
	assert_false(sig_test_eval(rs, 3, &pi, NULL, 0)); /* not established */
	assert_false(sig_test_eval(rs, 4, &pi, NULL, 1));
	assert_false(sig_test_eval(rs, 5, &pi, NULL, 1));
	pi.dport = 81;
	assert_false(sig_test_eval(rs, 1, &pi, NULL, 1));
	assert_false(sig_test_eval(rs, 2, &pi, NULL, 1));
	pi.dir = NW_DIR_TO_CLIENT;
	assert_true(sig_test_eval(rs, 4, &pi, NULL, 1));
	sig_ruleset_free(rs);
}

static void test_flowbits(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp any any -> any any (sid:1; content:\"LOGIN\"; flowbits:set,login; flowbits:noalert;)",
				"alert tcp any any -> any any (sid:2; content:\"DATA\"; flowbits:isset,login;)",
				"alert tcp any any -> any any (sid:3; content:\"DATA\"; flowbits:isnotset,login;)",
				"alert tcp any any -> any any (sid:4; content:\"LOGOUT\"; flowbits:unset,login;)",
				"alert tcp any any -> any any (sid:5; content:\"T\"; flowbits:toggle,t;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 5, &errs);
	struct sig_fbset fbs = { 0 }, *bits = &fbs;
	struct nw_pkt_info pi;

	assert_int_equal(errs.n, 0);
	assert_true(sig_test_rule(rs, 1)->noalert);
	sig_test_pkt(&pi, "DATA", 4);
	assert_false(sig_test_eval(rs, 2, &pi, bits, 1));
	assert_true(sig_test_eval(rs, 3, &pi, bits, 1));
	sig_test_pkt(&pi, "LOGIN", 5);
	assert_true(sig_test_eval(rs, 1, &pi, bits, 1));
	sig_test_pkt(&pi, "DATA", 4);
	assert_true(sig_test_eval(rs, 2, &pi, bits, 1));
	assert_false(sig_test_eval(rs, 3, &pi, bits, 1));
	sig_test_pkt(&pi, "LOGOUT", 6);
	assert_true(sig_test_eval(rs, 4, &pi, bits, 1));
	sig_test_pkt(&pi, "DATA", 4);
	assert_false(sig_test_eval(rs, 2, &pi, bits, 1));
	/* without a flow, isset never holds */
	assert_false(sig_test_eval(rs, 2, &pi, NULL, 1));
	sig_ruleset_free(rs);
}

/* OR lists (Suricata: isset a|b = any set, isnotset a|b = any not set), names past 128,
 * and a flow whose set is full */
static void test_flowbits_lists(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	static char text[300][160];
	const char *rules[300];
	struct sig_fbset fbs = { 0 };
	struct nw_pkt_info pi;
	struct sig_ruleset *rs;
	unsigned n = 0;

	(void)state;
	for (unsigned i = 0; i < 200; i++) {
		snprintf(text[n], sizeof(text[n]),
			 "alert tcp any any -> any any (sid:%u; content:\"S%03u\"; flowbits:set,n%u; flowbits:noalert;)",
			 1000 + i, i, i);
		rules[n] = text[n];
		n++;
	}
	rules[n++] = "alert tcp any any -> any any (sid:1; content:\"Q\"; flowbits:isset,n199;)";
	rules[n++] = "alert tcp any any -> any any (sid:2; content:\"Q\"; flowbits:isset,n5|n198;)";
	rules[n++] = "alert tcp any any -> any any (sid:3; content:\"Q\"; flowbits:isnotset,n5|n199;)";
	rules[n++] = "alert tcp any any -> any any (sid:4; content:\"U\"; flowbits:unset,n5|n199;)";
	rules[n++] = "alert tcp any any -> any any (sid:5; content:\"T\"; flowbits:set,a|b;)";
	rules[n++] = "alert tcp any any -> any any (sid:6; content:\"Q\"; flowbits:isset,a; flowbits:isset,b;)";
	rs = sig_test_rules(rules, n, &errs);
	assert_int_equal(errs.n, 0);
	sig_test_pkt(&pi, "Q", 1);
	assert_false(sig_test_eval(rs, 1, &pi, &fbs, 1));
	assert_false(sig_test_eval(rs, 2, &pi, &fbs, 1));
	assert_true(sig_test_eval(rs, 3, &pi, &fbs, 1));
	sig_test_pkt(&pi, "S199", 4); /* the 200th name */
	assert_true(sig_test_eval(rs, 1199, &pi, &fbs, 1));
	sig_test_pkt(&pi, "Q", 1);
	assert_true(sig_test_eval(rs, 1, &pi, &fbs, 1));
	assert_false(sig_test_eval(rs, 2, &pi, &fbs, 1)); /* n5, n198 both unset */
	assert_true(sig_test_eval(rs, 3, &pi, &fbs, 1));  /* n5 not set */
	sig_test_pkt(&pi, "S005", 4);
	assert_true(sig_test_eval(rs, 1005, &pi, &fbs, 1));
	sig_test_pkt(&pi, "Q", 1);
	assert_true(sig_test_eval(rs, 2, &pi, &fbs, 1));
	assert_false(sig_test_eval(rs, 3, &pi, &fbs, 1)); /* both set */
	sig_test_pkt(&pi, "U", 1);
	assert_true(sig_test_eval(rs, 4, &pi, &fbs, 1));
	assert_int_equal(fbs.n, 0);
	sig_test_pkt(&pi, "T", 1);
	assert_true(sig_test_eval(rs, 5, &pi, &fbs, 1)); /* set a|b sets both */
	sig_test_pkt(&pi, "Q", 1);
	assert_true(sig_test_eval(rs, 6, &pi, &fbs, 1));
	/* fill the flow: the sets past SIG_FB_FLOW_MAX are lost and reported */
	memset(&fbs, 0, sizeof(fbs));
	for (unsigned i = 0; i < SIG_FB_FLOW_MAX; i++) {
		struct sig_mctx m = { .flowbits = &fbs };
		assert_int_equal(sig_flowbits_apply(&m, sig_test_rule(rs, 1000 + i)), 0);
	}
	{
		struct sig_mctx m = { .flowbits = &fbs };
		assert_int_equal(sig_flowbits_apply(&m, sig_test_rule(rs, 1199)), 1);
		assert_int_equal(sig_flowbits_apply(&m, sig_test_rule(rs, 1000)), 0); /* held */
	}
	sig_ruleset_free(rs);
	assert_non_null(strstr(sig_test_error("alert tcp any any -> any any (sid:9; flowbits:isset,a&b;)"),
			       "& not supported"));
}

static int ss_eval(const struct sig_ruleset *rs, uint32_t sid, const struct nw_pkt_info *pi,
		   const struct sig_stream *st)
{
	struct sig_mctx m = { .pi = pi, .streams = st, .established = 1 };

	return sig_match_packet_tests(&m, sig_test_rule(rs, sid));
}

/* stream_size: in-order bytes per side, + 1 for the SYN (Suricata's next_seq - ISN), with
 * this packet's new bytes; retransmissions do not count twice */
static void test_stream_size(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("stream_size:client,=,6;"), "alert tcp any any -> any any (sid:2; stream_size:server,>,10;)",
				"alert tcp any any -> any any (sid:3; stream_size:both,>=,6;)",
				"alert tcp any any -> any any (sid:4; stream_size:either,<,2;)",
				"alert tcp any any -> any any (sid:5; stream_size:client,!=,6;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 5, &errs);
	struct sig_stream st[2];
	struct nw_pkt_info pi;

	(void)state;
	assert_int_equal(errs.n, 0);
	memset(st, 0, sizeof(st));
	sig_test_pkt(&pi, "", 0);
	pi.tcp_flags = NW_TCP_SYN;
	pi.tcp_seq = 1000;
	assert_true(ss_eval(rs, 4, &pi, st)); /* client 1 (the SYN), server 0 */
	sig_stream_update(&st[0], &pi);
	pi.dir = NW_DIR_TO_CLIENT;
	pi.tcp_flags = NW_TCP_SYN | NW_TCP_ACK;
	pi.tcp_seq = 5000;
	sig_stream_update(&st[1], &pi);
	sig_test_pkt(&pi, "hello", 5);
	pi.tcp_seq = 1001;
	assert_true(ss_eval(rs, 1, &pi, st)); /* client 6 with this packet */
	assert_false(ss_eval(rs, 2, &pi, st));
	assert_false(ss_eval(rs, 3, &pi, st));
	assert_true(ss_eval(rs, 4, &pi, st)); /* server 1 */
	assert_false(ss_eval(rs, 5, &pi, st));
	sig_stream_update(&st[0], &pi);
	assert_true(ss_eval(rs, 1, &pi, st)); /* the retransmission adds nothing */
	sig_test_pkt(&pi, "0123456789", 10);
	pi.dir = NW_DIR_TO_CLIENT;
	pi.tcp_seq = 5001;
	assert_true(ss_eval(rs, 1, &pi, st));
	assert_true(ss_eval(rs, 2, &pi, st)); /* server 11 */
	assert_true(ss_eval(rs, 3, &pi, st));
	assert_false(ss_eval(rs, 4, &pi, st));
	/* no TCP flow: never */
	assert_false(ss_eval(rs, 5, &pi, NULL));
	pi.ip_proto = 17;
	assert_false(ss_eval(rs, 4, &pi, st));
	sig_ruleset_free(rs);
	assert_non_null(strstr(sig_test_error(R("stream_size:client,>>,5;")), "unknown operator"));
	assert_non_null(strstr(sig_test_error(R("stream_size:foo,>,5;")), "unknown side"));
	assert_non_null(strstr(sig_test_error(R("stream_size:client,>;")), "expected"));
}

static int xb_eval(const struct sig_ruleset *rs, uint32_t sid, const struct nw_pkt_info *pi,
		   struct sig_xb_table *t)
{
	const struct sig_rule *r = sig_test_rule(rs, sid);
	struct sig_mctx m = { .pi = pi, .xbt = t, .established = 1 };

	if (!sig_flowbits_check(&m, r))
		return 0;
	sig_xbits_apply(&m, r);
	return 1;
}

/* xbits: per host (ip_src and ip_dst name the same host bits) or per pair (both ways), with
 * expiry in packet time; a full bucket evicts the entry that lapses first */
static void test_xbits(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = {
		"alert tcp any any -> any any (sid:1; xbits:set,scan,track ip_src,expire 10;)",
		"alert tcp any any -> any any (sid:2; xbits:isset,scan,track ip_src;)",
		"alert tcp any any -> any any (sid:3; xbits:isset,scan,track ip_dst;)",
		"alert tcp any any -> any any (sid:4; xbits:isnotset,scan,track ip_src;)",
		"alert tcp any any -> any any (sid:5; xbits:unset,scan,track ip_src;)",
		"alert tcp any any -> any any (sid:6; xbits:toggle,pp,track ip_pair;)",
		"alert tcp any any -> any any (sid:7; xbits:isset,pp,track ip_pair;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 7, &errs);
	struct sig_xb_table t;
	struct nw_pkt_info pi, back;
	const uint64_t s = 1000000000ull;

	(void)state;
	assert_int_equal(errs.n, 0);
	assert_int_equal(sig_xb_init(&t, 1024), 0);
	sig_test_pkt(&pi, "", 0);
	back = pi;
	back.src = pi.dst;
	back.dst = pi.src;
	pi.ts_ns = back.ts_ns = 100 * s;
	assert_false(xb_eval(rs, 2, &pi, &t));
	assert_true(xb_eval(rs, 4, &pi, &t));
	assert_true(xb_eval(rs, 1, &pi, &t)); /* 10.0.0.1 marked until 110 s */
	assert_true(xb_eval(rs, 2, &pi, &t));
	assert_false(xb_eval(rs, 4, &pi, &t));
	assert_false(xb_eval(rs, 2, &back, &t)); /* the other host */
	assert_true(xb_eval(rs, 3, &back, &t));  /* its destination is the marked host */
	pi.sport = 40001; /* another flow of the same host */
	pi.ts_ns = 109 * s;
	assert_true(xb_eval(rs, 2, &pi, &t));
	pi.ts_ns = 110 * s; /* lapsed */
	assert_false(xb_eval(rs, 2, &pi, &t));
	assert_true(xb_eval(rs, 1, &pi, &t));
	assert_true(xb_eval(rs, 5, &pi, &t));
	assert_false(xb_eval(rs, 2, &pi, &t));
	/* a pair is the same both ways; toggle sets then clears */
	assert_true(xb_eval(rs, 6, &pi, &t));
	assert_true(xb_eval(rs, 7, &back, &t));
	assert_true(xb_eval(rs, 6, &back, &t));
	assert_false(xb_eval(rs, 7, &pi, &t));
	/* no table: never set */
	assert_false(xb_eval(rs, 2, &pi, NULL));
	sig_xb_free(&t);
	/* one bucket of 8: the 9th host evicts the entry that lapses first */
	assert_int_equal(sig_xb_init(&t, 8), 0);
	assert_int_equal(t.nb, 1);
	for (unsigned i = 0; i < 9; i++) {
		struct sig_mctx m = { .pi = &pi, .xbt = &t };
		pi.src.a[3] = (uint8_t)(10 + i);
		pi.ts_ns = (200 + i) * s;
		assert_int_equal(sig_xbits_apply(&m, sig_test_rule(rs, 1)), i == 8 ? 1 : 0);
	}
	pi.src.a[3] = 10; /* the first, set at 200 s, was evicted */
	assert_false(xb_eval(rs, 2, &pi, &t));
	pi.src.a[3] = 11;
	assert_true(xb_eval(rs, 2, &pi, &t));
	sig_xb_free(&t);
	sig_ruleset_free(rs);
	assert_non_null(strstr(sig_test_error(R("xbits:set,a;")), "expected"));
	assert_non_null(strstr(sig_test_error(R("xbits:set,a,track ip_host;")), "unknown track"));
	assert_non_null(strstr(sig_test_error(R("xbits:set,a,track tx;")), "not supported"));
	assert_non_null(strstr(sig_test_error(R("xbits:set,a|b,track ip_src;")), "bad name"));
	assert_non_null(strstr(sig_test_error(R("xbits:set,a,track ip_src,expire 0;")), "bad expire"));
	assert_non_null(strstr(sig_test_error(R("xbits:flip,a,track ip_src;")), "unknown command"));
	assert_non_null(strstr(sig_test_error(R("xbits:set,a,expire 5;")), "missing track"));
}

static void test_thresholds_over_time(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = {
		"alert tcp any any -> any any (sid:1; threshold:type limit, track by_src, count 2, seconds 10;)",
		"alert tcp any any -> any any (sid:2; threshold:type threshold, track by_src, count 3, seconds 10;)",
		"alert tcp any any -> any any (sid:3; threshold:type both, track by_dst, count 2, seconds 10;)",
		"alert tcp any any -> any any (sid:4; detection_filter:track by_src, count 2, seconds 10;)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 4, &errs);
	struct sig_thr_table t;
	struct nw_pkt_info pi;
	const uint64_t s = 1000000000ull;
	int got[4][7];

	assert_int_equal(errs.n, 0);
	assert_int_equal(sig_thr_init(&t, 1024), 0);
	sig_test_pkt(&pi, "x", 1);
	/* hits at t = 0..5 s, then one at 20 s (a new window) */
	for (int k = 0; k < 7; k++) {
		uint64_t now = (k < 6 ? (uint64_t)k : 20) * s + 1;
		for (int r = 0; r < 4; r++) {
			const struct sig_rule *rule = sig_test_rule(rs, (uint32_t)r + 1);
			const struct sig_threshold *th = r == 3 ? &rule->df : &rule->thr;
			got[r][k] = sig_thr_check(&t, rule, th, r == 3, &pi, now);
		}
	}
	/* limit 2: first two per window */
	int limit[7] = { 1, 1, 0, 0, 0, 0, 1 };
	/* threshold 3: every third */
	int thresh[7] = { 0, 0, 1, 0, 0, 1, 0 };
	/* both 2: once, at the second */
	int both[7] = { 0, 1, 0, 0, 0, 0, 0 };
	/* detection_filter 2: from the third on */
	int df[7] = { 0, 0, 1, 1, 1, 1, 0 };
	assert_memory_equal(got[0], limit, sizeof(limit));
	assert_memory_equal(got[1], thresh, sizeof(thresh));
	assert_memory_equal(got[2], both, sizeof(both));
	assert_memory_equal(got[3], df, sizeof(df));
	/* another source has its own count */
	pi.src.a[3] = 99;
	assert_int_equal(sig_thr_check(&t, sig_test_rule(rs, 1), &sig_test_rule(rs, 1)->thr, 0, &pi, 21 * s), 1);
	sig_thr_free(&t);
	sig_ruleset_free(rs);
}

static void test_prefilter_groups(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp any any -> any 80 (sid:1; content:\"alpha\";)",
				"alert tcp any any -> any 22 (sid:2; content:\"beta\";)",
				"alert tcp any any -> any any (sid:3; content:\"gamma\";)",
				"alert ip any any -> any any (sid:4; ttl:1;)",
				"alert udp any any -> any 53 (sid:5; content:\"alpha\";)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 5, &errs);
	struct nw_pkt_info pi;
	const struct sig_group *g;
	unsigned n, seen[6] = { 0 };
	const char *data = "alpha beta gamma";

	sig_test_pkt(&pi, data, strlen(data));
	g = sig_ruleset_group(rs, &pi);
	n = sig_ruleset_candidates(rs, g, rs->ws[0], pi.payload, pi.payload_len);
	for (unsigned i = 0; i < n; i++)
		seen[rs->rules[rs->ws[0]->cand[i]]->sid] = 1;
	/* port 80 group: its rule, the any-port tcp rule, the ip rule (no fast pattern) */
	assert_true(seen[1] && seen[3] && seen[4]);
	assert_false(seen[2] || seen[5]);
	/* candidates come sorted (rule order) */
	for (unsigned i = 1; i < n; i++)
		assert_true(rs->ws[0]->cand[i - 1] < rs->ws[0]->cand[i]);
	/* nothing matches the fast patterns: only the rule without one */
	sig_test_pkt(&pi, "zzzz", 4);
	n = sig_ruleset_candidates(rs, g, rs->ws[0], pi.payload, pi.payload_len);
	assert_int_equal(n, 1);
	assert_int_equal(rs->rules[rs->ws[0]->cand[0]]->sid, 4);
	sig_ruleset_free(rs);
}

/* the sids among the candidates of a TCP packet to dport; fails unless they come sorted */
static unsigned sig_cand_sids(const struct sig_ruleset *rs, uint16_t dport, const char *data,
			      uint8_t *seen, unsigned n_seen, const struct sig_group **gout)
{
	struct nw_pkt_info pi;
	const struct sig_group *g;
	unsigned n;

	memset(seen, 0, n_seen);
	sig_test_pkt(&pi, data, strlen(data));
	pi.dport = dport;
	g = sig_ruleset_group(rs, &pi);
	n = sig_ruleset_candidates(rs, g, rs->ws[0], pi.payload, pi.payload_len);
	for (unsigned i = 0; i < n; i++) {
		uint32_t sid = rs->rules[rs->ws[0]->cand[i]]->sid;
		if (sid < n_seen)
			seen[sid] = 1;
		if (i)
			assert_true(rs->ws[0]->cand[i - 1] < rs->ws[0]->cand[i]);
	}
	if (gout)
		*gout = g;
	return n;
}

/* a port group either holds the any-port rules of its protocol (merged) or is scanned together
 * with their group (split, when merging would cost too much compile): the candidates are the
 * same either way. One-byte fast patterns are not in the prefilter: their rules are always
 * candidates. */
static void test_prefilter_groups_split(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp any any -> any 80 (sid:1; content:\"alpha\";)",
				"alert tcp any any -> any 22 (sid:2; content:\"beta\";)",
				"alert tcp any any -> any any (sid:3; content:\"gamma\";)",
				"alert tcp any any -> any any (sid:4; content:\"delta\";)",
				"alert ip any any -> any any (sid:5; ttl:1;)",
				"alert tcp any any -> any 80 (sid:6; content:\"|3b|\";)",
				"alert tcp any any -> any any (sid:7; content:\"|7c|\"; nocase;)",
				"alert udp any any -> any 53 (sid:8; content:\"alpha\";)",
				"alert tcp any any -> any 80 (sid:9; content:\"zz\"; fast_pattern:1,1;)" };
	const unsigned budgets[] = { 0, 1 };
	const char *data = "alpha beta gamma";

	for (unsigned b = 0; b < 2; b++) {
		struct sig_ruleset *rs = sig_test_rules_budget(rules, 9, &errs, budgets[b]);
		const struct sig_group *g;
		uint8_t seen[10];
		unsigned n;

		assert_int_equal(errs.n, 0);
		n = sig_cand_sids(rs, 80, data, seen, sizeof(seen), &g);
		if (b == 0)
			assert_null(g->also); /* two any-port patterns: merged by default */
		else
			assert_true(g->also == rs->dflt[SIG_PC_TCP]);
		/* its own rule, the any-port rule, and every rule without a prefilter pattern */
		assert_int_equal(n, 6);
		assert_true(seen[1] && seen[3] && seen[5] && seen[6] && seen[7] && seen[9]);
		/* no pattern matches: only the rules without one */
		n = sig_cand_sids(rs, 80, "zzzz", seen, sizeof(seen), NULL);
		assert_int_equal(n, 4);
		assert_true(seen[5] && seen[6] && seen[7] && seen[9]);
		/* a port without rules of its own: the class default group */
		n = sig_cand_sids(rs, 8080, "delta", seen, sizeof(seen), &g);
		assert_true(g == rs->dflt[SIG_PC_TCP]);
		assert_int_equal(n, 3);
		assert_true(seen[4] && seen[5] && seen[7]);
		sig_ruleset_free(rs);
	}
	/* the one-byte rules still match */
	assert_true(SIG_ONE(R("content:\"|3b|\";"), "a;b"));
	assert_false(SIG_ONE(R("content:\"|3b|\";"), "a,b"));
	assert_true(SIG_ONE(R("content:\"x\"; nocase;"), "aXb"));
}

/* ports naming the same rules share one group (one prefilter database) */
static void test_prefilter_port_groups_shared(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { "alert tcp any any -> any [139,445] (sid:1; content:\"smb\";)",
				"alert tcp any any -> any 1024:1030 (sid:2; content:\"high\";)",
				"alert tcp any any -> any 1030 (sid:3; content:\"last\";)",
				"alert tcp any any -> any any (sid:4; content:\"all\";)" };
	struct sig_ruleset *rs = sig_test_rules(rules, 4, &errs);
	const struct sig_group *g139, *g445, *g1024, *g1029, *g1030;
	uint8_t seen[5];

	assert_int_equal(errs.n, 0);
	sig_cand_sids(rs, 139, "smb all", seen, sizeof(seen), &g139);
	assert_true(seen[1] && seen[4] && !seen[2]);
	sig_cand_sids(rs, 445, "smb all", seen, sizeof(seen), &g445);
	assert_true(seen[1] && seen[4]);
	sig_cand_sids(rs, 1024, "high last", seen, sizeof(seen), &g1024);
	assert_true(seen[2] && !seen[3]);
	sig_cand_sids(rs, 1029, "high last", seen, sizeof(seen), &g1029);
	sig_cand_sids(rs, 1030, "high last", seen, sizeof(seen), &g1030);
	assert_true(seen[2] && seen[3]);
	assert_true(g139 == g445);
	assert_true(g1024 == g1029);
	assert_true(g1030 != g1029 && g139 != g1024);
	/* 2 ports + 7 ports, 3 distinct rule lists, plus the 4 class default groups */
	assert_int_equal(rs->n_ports[0], 9);
	assert_int_equal(rs->n_groups, SIG_PC_MAX + 3);
	sig_ruleset_free(rs);
}

/* ---- stream ---- */

/* feed segments through view+update like the plugin; count matches of `rule` */
static int sig_stream_run(const struct sig_ruleset *rs, struct sig_stream *st,
			  const struct nw_pkt_info *pi, uint8_t *scratch)
{
	const struct sig_rule *r = rs->rules[0];
	struct sig_view v;
	struct sig_mctx m;
	int hit;

	sig_stream_view(st, pi, scratch, &v);
	memset(&m, 0, sizeof(m));
	m.pi = pi;
	m.md = pcre2_match_data_create(16, NULL);
	m.buf = pi->payload;
	m.len = v.nothing_new ? 0 : pi->payload_len;
	m.min_end = v.pkt_min_end;
	hit = m.len && sig_inspect_payload(&m, r);
	if (!hit && v.has_stream) {
		m.buf = v.sbuf;
		m.len = v.slen;
		m.abs_base = v.sbase;
		m.min_end = v.s_min_end;
		m.stream = 1;
		hit = sig_inspect_payload(&m, r);
	}
	pcre2_match_data_free(m.md);
	sig_stream_update(st, pi);
	return hit;
}

static void sig_seg(struct nw_pkt_info *pi, uint32_t seq, const char *d, size_t n)
{
	sig_test_pkt(pi, d, n);
	pi->tcp_seq = seq;
}

static void test_stream_split_every_position(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("content:\"/etc/passwd\";") };
	struct sig_ruleset *rs = sig_test_rules(rules, 1, &errs);
	const char *msg = "GET /../../etc/passwd HTTP/1.0\r\n";
	size_t len = strlen(msg);
	uint8_t *scratch = malloc(SIG_SBUF_SIZE);

	for (size_t cut = 1; cut < len; cut++) {
		struct sig_stream st;
		struct nw_pkt_info pi;
		int hits = 0;
		memset(&st, 0, sizeof(st));
		sig_test_pkt(&pi, "", 0);
		pi.tcp_flags = NW_TCP_SYN;
		pi.tcp_seq = 999;
		sig_stream_update(&st, &pi);
		sig_seg(&pi, 1000, msg, cut);
		hits += sig_stream_run(rs, &st, &pi, scratch);
		sig_seg(&pi, 1000 + (uint32_t)cut, msg + cut, len - cut);
		hits += sig_stream_run(rs, &st, &pi, scratch);
		/* a retransmission of everything adds nothing */
		sig_seg(&pi, 1000, msg, len);
		hits += sig_stream_run(rs, &st, &pi, scratch);
		if (hits != 1)
			fail_msg("cut at %zu: %d matches", cut, hits);
	}
	free(scratch);
	sig_ruleset_free(rs);
}

static void test_stream_one_byte_segments(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("content:\"GET \"; depth:4; content:\"jndi:ldap\"; distance:0; nocase;") };
	struct sig_ruleset *rs = sig_test_rules(rules, 1, &errs);
	const char *msg = "GET /?x=${JNDI:LDAP://203.0.113.7/a} HTTP/1.1\r\n\r\n";
	uint8_t *scratch = malloc(SIG_SBUF_SIZE);
	struct sig_stream st;
	struct nw_pkt_info pi;
	int hits = 0;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < strlen(msg); i++) {
		sig_seg(&pi, 5000 + (uint32_t)i, msg + i, 1);
		hits += sig_stream_run(rs, &st, &pi, scratch);
	}
	assert_int_equal(hits, 1);
	/* depth is absolute in the stream: a second request in the same stream does not match
	 * a depth-anchored rule again */
	sig_ruleset_free(rs);
	rules[0] = R("content:\"GET /?x=\"; depth:8;");
	rs = sig_test_rules(rules, 1, &errs);
	memset(&st, 0, sizeof(st));
	hits = 0;
	for (size_t i = 0; i < strlen(msg); i++) {
		sig_seg(&pi, 5000 + (uint32_t)i, msg + i, 1);
		hits += sig_stream_run(rs, &st, &pi, scratch);
	}
	assert_int_equal(hits, 1);
	hits = 0;
	for (size_t i = 0; i < strlen(msg); i++) {
		sig_seg(&pi, 5000 + (uint32_t)(strlen(msg) + i), msg + i, 1);
		hits += sig_stream_run(rs, &st, &pi, scratch);
	}
	assert_int_equal(hits, 0);
	free(scratch);
	sig_ruleset_free(rs);
}

static void test_stream_overlap_and_out_of_order(void **state)
{
	struct sig_test_errs errs = { .n = 0 };
	const char *rules[] = { R("content:\"ATTACK\";") };
	struct sig_ruleset *rs = sig_test_rules(rules, 1, &errs);
	uint8_t *scratch = malloc(SIG_SBUF_SIZE);
	struct sig_stream st;
	struct nw_pkt_info pi;
	int hits = 0;

	/* overlap: "xxATTxx" first, then a rewrite of the last 2 bytes + more: "ACK" path */
	memset(&st, 0, sizeof(st));
	sig_seg(&pi, 100, "xxATTxx", 7);
	hits += sig_stream_run(rs, &st, &pi, scratch);
	sig_seg(&pi, 105, "ACK", 3); /* rewrites "xx" with "AC", adds "K" */
	hits += sig_stream_run(rs, &st, &pi, scratch);
	assert_int_equal(hits, 1);

	/* out of order: the second half arrives first */
	memset(&st, 0, sizeof(st));
	hits = 0;
	sig_seg(&pi, 200, "hello ", 6);
	hits += sig_stream_run(rs, &st, &pi, scratch);
	sig_seg(&pi, 209, "ACK now", 7);
	hits += sig_stream_run(rs, &st, &pi, scratch);
	sig_seg(&pi, 206, "ATT", 3);
	hits += sig_stream_run(rs, &st, &pi, scratch);
	assert_int_equal(hits, 1);
	free(scratch);
	sig_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_basic_nocase_negated),
		cmocka_unit_test(test_content_offset_depth),
		cmocka_unit_test(test_content_relative_backtracking),
		cmocka_unit_test(test_content_negated_relative),
		cmocka_unit_test(test_isdataat),
		cmocka_unit_test(test_pcre),
		cmocka_unit_test(test_byte_test_jump),
		cmocka_unit_test(test_byte_string_forms),
		cmocka_unit_test(test_flags_modifiers),
		cmocka_unit_test(test_dsize_ttl_ranges),
		cmocka_unit_test(test_icmp_keywords),
		cmocka_unit_test(test_header_direction_flow),
		cmocka_unit_test(test_flowbits),
		cmocka_unit_test(test_flowbits_lists),
		cmocka_unit_test(test_stream_size),
		cmocka_unit_test(test_xbits),
		cmocka_unit_test(test_thresholds_over_time),
		cmocka_unit_test(test_prefilter_groups),
		cmocka_unit_test(test_prefilter_groups_split),
		cmocka_unit_test(test_prefilter_port_groups_shared),
		cmocka_unit_test(test_stream_split_every_position),
		cmocka_unit_test(test_stream_one_byte_segments),
		cmocka_unit_test(test_stream_overlap_and_out_of_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
