/*
 * Unit tests of sealed fields and masks (libcommon/src/seal.c): round
 * trips, fresh nonces, the aad and the tag refusing what they should,
 * key rotation by kid, key specs refused, and the masking rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iscommon/crypto.h"
#include "iscommon/seal.h"

#define HEX_A	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"
#define HEX_B	"f0e1d2c3b4a5968778695a4b3c2d1e0f" \
		"0123456789ABCDEFfedcba9876543210"
#define HEX_C	"5555555555555555555555555555555555555555555555555555555555555555"

#define AAD	"profile.passport:42"

/* Parses spec into keys or fails the test. */
static void
keys_from(struct is_seal_keys *keys, const char *spec)
{
	assert_int_equal(is_seal_keys_parse(spec, keys), 0);
}

/* The body of a sealed value decoded into raw; its length. */
static size_t
body_decode(const char *sealed, unsigned char *raw, size_t cap)
{
	const char	*body;
	size_t		 n;

	assert_non_null(body = strrchr(sealed, '.'));
	body++;
	assert_int_equal(is_b64url_decode(body, strlen(body), raw, cap, &n), 0);
	return (n);
}

static void
test_round_trip(void **state)
{
	struct is_seal_keys	 keys;
	char			*s, *p, big[IS_SEAL_PLAINTEXT_MAX + 2];

	(void)state;
	keys_from(&keys, "k1:" HEX_A);
	assert_int_equal(keys.n, 1);
	assert_string_equal(keys.keys[0].kid, "k1");
	assert_int_equal(keys.keys[0].key[0], 0x00);
	assert_int_equal(keys.keys[0].key[31], 0x1f);

	assert_non_null(s = is_seal(&keys, "E12345678 张三", AAD));
	assert_int_equal(strncmp(s, "v1.k1.", 6), 0);
	assert_null(strstr(s, "E12345678"));
	assert_non_null(p = is_unseal(&keys, s, AAD));
	assert_string_equal(p, "E12345678 张三");
	free(p);
	free(s);

	/* The empty value and an empty aad are values like any other. */
	assert_non_null(s = is_seal(&keys, "", ""));
	assert_non_null(p = is_unseal(&keys, s, ""));
	assert_string_equal(p, "");
	free(p);
	free(s);

	/* Exactly the limit seals; one byte more is refused. */
	memset(big, 'x', IS_SEAL_PLAINTEXT_MAX);
	big[IS_SEAL_PLAINTEXT_MAX] = '\0';
	assert_non_null(s = is_seal(&keys, big, AAD));
	assert_non_null(p = is_unseal(&keys, s, AAD));
	assert_string_equal(p, big);
	free(p);
	free(s);
	big[IS_SEAL_PLAINTEXT_MAX] = 'x';
	big[IS_SEAL_PLAINTEXT_MAX + 1] = '\0';
	assert_null(is_seal(&keys, big, AAD));

	/* NULL is not a value, nor an aad; an empty key set seals nothing. */
	assert_null(is_seal(&keys, NULL, AAD));
	assert_null(is_seal(&keys, "x", NULL));
	assert_null(is_seal(NULL, "x", AAD));
	assert_non_null(s = is_seal(&keys, "x", AAD));
	assert_null(is_unseal(&keys, s, NULL));
	assert_null(is_unseal(NULL, s, AAD));
	is_seal_keys_clear(&keys);
	assert_null(is_seal(&keys, "x", AAD));
	assert_null(is_unseal(&keys, s, AAD));
	free(s);
}

static void
test_fresh_nonce(void **state)
{
	struct is_seal_keys	 keys;
	unsigned char		 ra[64], rb[64];
	char			*a, *b, *p;

	(void)state;
	keys_from(&keys, "k1:" HEX_A);
	assert_non_null(a = is_seal(&keys, "same text", AAD));
	assert_non_null(b = is_seal(&keys, "same text", AAD));
	assert_string_not_equal(a, b);
	/* Not just different: the nonces differ (first 12 bytes). */
	assert_int_equal(body_decode(a, ra, sizeof(ra)), 12 + 9 + 16);
	assert_int_equal(body_decode(b, rb, sizeof(rb)), 12 + 9 + 16);
	assert_memory_not_equal(ra, rb, 12);
	assert_non_null(p = is_unseal(&keys, a, AAD));
	assert_string_equal(p, "same text");
	free(p);
	assert_non_null(p = is_unseal(&keys, b, AAD));
	assert_string_equal(p, "same text");
	free(p);
	free(a);
	free(b);
	is_seal_keys_clear(&keys);
}

static void
test_wrong_aad(void **state)
{
	struct is_seal_keys	 keys;
	char			*s, *p;

	(void)state;
	keys_from(&keys, "k1:" HEX_A);
	assert_non_null(s = is_seal(&keys, "secret", AAD));
	assert_null(is_unseal(&keys, s, "profile.passport:43"));
	assert_null(is_unseal(&keys, s, "profile.passport:4"));
	assert_null(is_unseal(&keys, s, ""));
	free(s);

	assert_non_null(s = is_seal(&keys, "secret", ""));
	assert_null(is_unseal(&keys, s, AAD));
	assert_non_null(p = is_unseal(&keys, s, ""));
	assert_string_equal(p, "secret");
	free(p);
	free(s);
	is_seal_keys_clear(&keys);
}

static void
test_tampered(void **state)
{
	struct is_seal_keys	 keys;
	unsigned char		 raw[128];
	char			*s, *b64, *forged, *p;
	size_t			 n, i, len;
	int			 bit;

	(void)state;
	keys_from(&keys, "k1:" HEX_A);
	assert_non_null(s = is_seal(&keys, "4111111111111111", AAD));
	n = body_decode(s, raw, sizeof(raw));
	assert_int_equal(n, 12 + 16 + 16);

	/* Every bit of the nonce, the ciphertext and the tag is covered. */
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			raw[i] ^= (unsigned char)(1 << bit);
			assert_non_null(b64 = is_b64url_encode(raw, n));
			len = strlen(b64) + 8;
			assert_non_null(forged = malloc(len));
			snprintf(forged, len, "v1.k1.%s", b64);
			assert_null(is_unseal(&keys, forged, AAD));
			free(forged);
			free(b64);
			raw[i] ^= (unsigned char)(1 << bit);
		}
	}

	/* Cut short, the tag no longer checks; cut shorter, no tag at all. */
	assert_non_null(b64 = is_b64url_encode(raw, n - 1));
	len = strlen(b64) + 8;
	assert_non_null(forged = malloc(len));
	snprintf(forged, len, "v1.k1.%s", b64);
	assert_null(is_unseal(&keys, forged, AAD));
	free(forged);
	free(b64);
	assert_non_null(b64 = is_b64url_encode(raw, 27));
	len = strlen(b64) + 8;
	assert_non_null(forged = malloc(len));
	snprintf(forged, len, "v1.k1.%s", b64);
	assert_null(is_unseal(&keys, forged, AAD));
	free(forged);
	free(b64);

	/* Malformed values. */
	assert_null(is_unseal(&keys, NULL, AAD));
	assert_null(is_unseal(&keys, "", AAD));
	assert_null(is_unseal(&keys, "v1.", AAD));
	assert_null(is_unseal(&keys, "v1.k1", AAD));
	assert_null(is_unseal(&keys, "v1.k1.", AAD));
	assert_null(is_unseal(&keys, "v1..AAAA", AAD));
	assert_null(is_unseal(&keys, "v1.k1.!!!!", AAD));
	assert_null(is_unseal(&keys, s + 1, AAD));
	len = strlen(s) + 1;
	assert_non_null(forged = malloc(len));
	memcpy(forged, s, len);
	forged[1] = '2';		/* "v2." */
	assert_null(is_unseal(&keys, forged, AAD));
	forged[1] = '1';
	forged[len - 2] = '\0';		/* one character short */
	assert_null(is_unseal(&keys, forged, AAD));
	free(forged);
	/* Trailing junk after the body. */
	len = strlen(s) + 2;
	assert_non_null(forged = malloc(len));
	snprintf(forged, len, "%s.", s);
	assert_null(is_unseal(&keys, forged, AAD));
	free(forged);

	/* The original still unseals. */
	assert_non_null(p = is_unseal(&keys, s, AAD));
	assert_string_equal(p, "4111111111111111");
	free(p);
	free(s);
	is_seal_keys_clear(&keys);
}

static void
test_unknown_kid(void **state)
{
	struct is_seal_keys	 k1, k2, other;
	char			*s, *forged;
	size_t			 len;

	(void)state;
	keys_from(&k1, "k1:" HEX_A);
	keys_from(&k2, "k2:" HEX_B);
	assert_non_null(s = is_seal(&k1, "secret", AAD));
	assert_null(is_unseal(&k2, s, AAD));

	/* Renamed to a kid the set holds, the other key fails the tag. */
	keys_from(&other, "k2:" HEX_B ",k3:" HEX_C);
	len = strlen(s) + 1;
	assert_non_null(forged = malloc(len));
	memcpy(forged, s, len);
	forged[4] = '2';		/* "v1.k2." */
	assert_null(is_unseal(&other, forged, AAD));
	forged[4] = '3';
	assert_null(is_unseal(&other, forged, AAD));
	free(forged);

	/* The same key under another name is still another kid. */
	keys_from(&other, "kx:" HEX_A);
	assert_null(is_unseal(&other, s, AAD));

	free(s);
	is_seal_keys_clear(&k1);
	is_seal_keys_clear(&k2);
	is_seal_keys_clear(&other);
}

static void
test_rotation(void **state)
{
	struct is_seal_keys	 old, cur;
	char			*s, *p, *fresh;

	(void)state;
	keys_from(&old, "k1:" HEX_A);
	keys_from(&cur, "k2:" HEX_B ",k1:" HEX_A);
	assert_int_equal(cur.n, 2);
	assert_string_equal(cur.keys[0].kid, "k2");
	assert_string_equal(cur.keys[1].kid, "k1");

	assert_non_null(s = is_seal(&old, "E12345678", AAD));
	assert_int_equal(is_seal_is_stale(&old, s), 0);
	assert_int_equal(is_seal_is_stale(&cur, s), 1);
	assert_non_null(p = is_unseal(&cur, s, AAD));
	assert_string_equal(p, "E12345678");

	/* Re-sealed, it names the current key and is no longer stale. */
	assert_non_null(fresh = is_seal(&cur, p, AAD));
	assert_int_equal(strncmp(fresh, "v1.k2.", 6), 0);
	assert_int_equal(is_seal_is_stale(&cur, fresh), 0);
	assert_int_equal(is_seal_is_stale(&old, fresh), 1);
	assert_null(is_unseal(&old, fresh, AAD));
	free(p);
	assert_non_null(p = is_unseal(&cur, fresh, AAD));
	assert_string_equal(p, "E12345678");
	free(p);

	/* Not a sealed value: nothing to re-seal. */
	assert_int_equal(is_seal_is_stale(&cur, NULL), 0);
	assert_int_equal(is_seal_is_stale(&cur, ""), 0);
	assert_int_equal(is_seal_is_stale(&cur, "E12345678"), 0);
	assert_int_equal(is_seal_is_stale(&cur, "v1.k1"), 0);

	free(s);
	free(fresh);
	is_seal_keys_clear(&old);
	is_seal_keys_clear(&cur);
}

static void
test_bad_specs(void **state)
{
	static const char	*bad[] = {
		NULL,
		"",
		",",
		"k1",
		"k1:",
		":" HEX_A,
		"k1:" HEX_A ",",
		"," "k1:" HEX_A,
		"k1:" HEX_A ",,k2:" HEX_B,
		"k1:" HEX_A "00",			/* long hex */
		"k1:000102030405060708090a0b0c0d0e0f",	/* short hex */
		"k1:" "000102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1g",	/* not hex */
		"k1: 00102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f",
		"k1:" HEX_A " ",
		"k.1:" HEX_A,				/* the separator */
		"k 1:" HEX_A,
		"k1:2:" HEX_A,
		"abcdefghijklmnopq:" HEX_A,		/* 17 characters */
		"密钥:" HEX_A,
		"k1:" HEX_A ",k1:" HEX_B,		/* duplicate */
		"k1:" HEX_A ",k2:" HEX_B ",k1:" HEX_C,
		"k2:" HEX_B ",bad!:" HEX_A,
		"a:" HEX_A ",b:" HEX_A ",c:" HEX_A ",d:" HEX_A ",e:" HEX_A
		    ",f:" HEX_A ",g:" HEX_A ",h:" HEX_A ",i:" HEX_A,
	};
	struct is_seal_keys	 keys;
	static const unsigned char	zero[sizeof(keys)];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A good set first: a failed parse must leave nothing of it. */
		keys_from(&keys, "k9:" HEX_C);
		if (is_seal_keys_parse(bad[i], &keys) != -1)
			fail_msg("spec %zu accepted: %s", i, bad[i]);
		assert_int_equal(keys.n, 0);
		assert_memory_equal(&keys, zero, sizeof(keys));
	}
	assert_int_equal(is_seal_keys_parse("k1:" HEX_A, NULL), -1);

	/* The edges that are fine: upper-case hex, 16-character kids, the
	 * whole alphabet of a kid, eight keys. */
	keys_from(&keys, "abcdefghijklmnop:" HEX_B);
	assert_string_equal(keys.keys[0].kid, "abcdefghijklmnop");
	assert_int_equal(keys.keys[0].key[16], 0x01);
	assert_int_equal(keys.keys[0].key[23], 0xef);
	keys_from(&keys, "AZaz09_-:" HEX_A);
	keys_from(&keys, "a:" HEX_A ",b:" HEX_A ",c:" HEX_A ",d:" HEX_A
	    ",e:" HEX_A ",f:" HEX_A ",g:" HEX_A ",h:" HEX_A);
	assert_int_equal(keys.n, IS_SEAL_KEYS_MAX);
	assert_string_equal(keys.keys[7].kid, "h");

	is_seal_keys_clear(&keys);
	assert_int_equal(keys.n, 0);
	assert_memory_equal(&keys, zero, sizeof(keys));
}

/* Checks one mask and frees it. */
static void
mask_is(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_mask_card(void **state)
{
	(void)state;
	mask_is(is_mask_card("6222021234567891234"), "6222 **** **** 1234");
	mask_is(is_mask_card("6222000011112222"), "6222 **** **** 2222");
	mask_is(is_mask_card("123456789"), "1234 **** **** 6789");
	mask_is(is_mask_card("12345678"), "****");
	mask_is(is_mask_card("1"), "****");
	mask_is(is_mask_card(""), "****");
	assert_null(is_mask_card(NULL));
	assert_null(is_mask_card("6222 0000 1111 2222"));
	assert_null(is_mask_card("6222-0000-1111-2222"));
	assert_null(is_mask_card("62220000111１2222"));	/* a full-width 1 */
}

static void
test_mask_middle(void **state)
{
	(void)state;
	mask_is(is_mask_middle("E12345678", 1, 3), "E*****678");
	mask_is(is_mask_middle("110101199001011234", 4, 4),
	    "1101**********1234");
	mask_is(is_mask_middle("AB12", 1, 1), "****");
	mask_is(is_mask_middle("张三丰李四", 1, 1), "张***四");

	/* Short values: at most four characters, all stars... */
	mask_is(is_mask_middle("", 1, 1), "");
	mask_is(is_mask_middle("A", 0, 0), "*");
	mask_is(is_mask_middle("张三", 1, 1), "**");
	mask_is(is_mask_middle("E123", 4, 4), "****");
	/* ...up to head + tail + 2, only the last two (or fewer, by tail). */
	mask_is(is_mask_middle("E1234", 1, 3), "***34");
	mask_is(is_mask_middle("E123456", 2, 3), "*****56");
	mask_is(is_mask_middle("E123456", 4, 1), "******6");
	mask_is(is_mask_middle("E123456", 5, 0), "*******");
	mask_is(is_mask_middle("张三丰李", 1, 1), "****");
	mask_is(is_mask_middle("欧阳张三丰", 2, 2), "***三丰");
	/* One past it, the rule proper. */
	mask_is(is_mask_middle("E1234567", 1, 3), "E****567");
	mask_is(is_mask_middle("ABCDEFGH", 0, 0), "********");
	mask_is(is_mask_middle("ABCDEFGH", 3, 0), "ABC*****");
	mask_is(is_mask_middle("Zoë Müller", 2, 2), "Zo******er");

	assert_null(is_mask_middle(NULL, 1, 1));
	assert_null(is_mask_middle("E12345678", -1, 3));
	assert_null(is_mask_middle("E12345678", 1, -3));
	assert_null(is_mask_middle("E1234\xff" "5678", 1, 3));
	assert_null(is_mask_middle("\xe5\xbc", 1, 1));	/* cut short */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fresh_nonce),
		cmocka_unit_test(test_wrong_aad),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_unknown_kid),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_mask_card),
		cmocka_unit_test(test_mask_middle),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
