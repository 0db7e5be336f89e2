/*
 * Field-level encryption at rest and masking for display.
 *
 * A sealed field is AES-256-GCM under a named key, written as text so it
 * fits a TEXT column: "v1.<kid>.<base64url(nonce || ciphertext || tag)>".
 * The kid in the clear lets keys rotate without a flag day: keys[0] seals,
 * every key in the set unseals, and is_seal_is_stale() finds the values a
 * background job should re-seal under the current key. The aad names what
 * the value is and whose it is (e.g. "profile.passport:<account id>"), so
 * a sealed value copied into another row or column does not unseal.
 *
 * Equality lookups on sealed values (find the landlord with this ID
 * number) cannot use the ciphertext, which differs on every seal. Store a
 * blind index beside it: is_hmac_hex(lookup_key, normalised_value, out)
 * from iscommon/crypto.h, where lookup_key is a separate secret string
 * (never one of the sealing keys) and normalised_value is the value as the
 * search will spell it (trimmed, upper-cased...). Rotating the lookup key
 * means recomputing every index, so it is kept apart from the sealing keys.
 *
 * Masking shows a value to people who may only recognise it: pure string
 * functions over UTF-8 characters (not bytes), results malloc'd.
 */
#ifndef ISCOMMON_SEAL_H
#define ISCOMMON_SEAL_H

#define IS_SEAL_KEYS_MAX	8
#define IS_SEAL_PLAINTEXT_MAX	1024	/* bytes; longer values are refused */

struct is_seal_key {
	char		kid[17];
	unsigned char	key[32];
};

struct is_seal_keys {
	int			n;
	struct is_seal_key	keys[IS_SEAL_KEYS_MAX];	/* keys[0] seals */
};

/*
 * spec is "kid:64hex[,kid:64hex...]", each kid 1 to 16 of [A-Za-z0-9_-],
 * the first key the current one. 0, or -1 on a bad spec (malformed, empty,
 * more than IS_SEAL_KEYS_MAX keys, or a kid named twice), in which case out
 * holds no key at all.
 */
int	 is_seal_keys_parse(const char *spec, struct is_seal_keys *out);
/* Wipes the keys (OPENSSL_cleanse); n becomes 0. */
void	 is_seal_keys_clear(struct is_seal_keys *);

/*
 * Seals plaintext (at most IS_SEAL_PLAINTEXT_MAX bytes) under keys[0] with
 * a fresh random 96-bit nonce, binding aad ("" is allowed, NULL is not).
 * Returns "v1.<kid>.<base64url>", malloc'd; NULL on any error.
 */
char	*is_seal(const struct is_seal_keys *, const char *plaintext,
	    const char *aad);
/*
 * The plaintext of sealed, malloc'd; NULL when sealed is malformed, names
 * a kid not in the set, was sealed with another aad, or was altered.
 */
char	*is_unseal(const struct is_seal_keys *, const char *sealed,
	    const char *aad);
/*
 * 1 when sealed names a key other than keys[0] (re-seal it), 0 when it
 * names keys[0] or is not a v1 sealed value. Reads only the kid: it does
 * not prove the value unseals.
 */
int	 is_seal_is_stale(const struct is_seal_keys *, const char *sealed);

/*
 * A bank card number, digits only: the first 4 and the last 4 digits
 * with two groups of stars between whatever the length, as
 * "6222 **** **** 1234"; fewer than 9 digits give "****". NULL when the
 * value holds anything but digits.
 */
char	*is_mask_card(const char *digits);
/*
 * An identity number or a name: the first head and the last tail
 * characters kept, every other character a '*'. A value of at most
 * head + tail + 2 characters keeps only its last min(tail, 2) characters,
 * and one of at most 4 characters is all stars. One star per character
 * masked. NULL when value is not valid UTF-8 or head or tail is negative.
 */
char	*is_mask_middle(const char *value, int head, int tail);

#endif
