#!/usr/bin/env bash
# Rotates the key pair that signs access tokens, with no restart and no
# one logged out. Works on one keys folder (the local stack's
# .run/<instance>/keys, or production's):
#
#   deploy/rotate-jwt-keys.sh [--force] [--alg ES256|RS256] [--ttl S]
#                             [--wait S] KEYS_DIR
#   deploy/rotate-jwt-keys.sh --retire [--force] [--ttl S] KEYS_DIR
#
# KEYS_DIR holds jwt-private.pem (auth's jwt.private_key), jwt-public.pem
# (every service's jwt.public_key) and jwt-previous-public.pem (every
# service's jwt.previous_public_key; absent is fine). Every worker of every
# service looks at these files about once a second and takes them when
# they change (libcommon/src/jwt.c), so the steps are, each file written
# under a temporary name and renamed over the old one (atomic):
#   1. jwt-previous-public.pem <- the current public key
#   2. jwt-public.pem          <- a new public key: services accept both
#   3. wait --wait seconds (3), so that every service has the new key
#      before any token is signed with it (more if another host copies
#      the public files from here: the copy must land within the wait)
#   4. jwt-private.pem         <- the new private key (0600): auth signs
#      with it from its next look
# Tokens signed with the old key name it (kid) and stay valid, against the
# previous key, until they expire (jwt.access_ttl). A folder without keys
# gets its first pair.
#
# Another rotation would drop the previous key while tokens it signed may
# still live: refused until that key has been previous for --ttl
# (jwt.access_ttl, 900) + --wait + 60 s, unless --force (its tokens are
# then refused, 401, and clients get new ones with their refresh token).
#
# --retire: no new key; the previous one is removed (refused while its
# tokens may live, unless --force). After a leak, rotate and retire at
# once: "rotate-jwt-keys.sh --force DIR && rotate-jwt-keys.sh --retire
# --force DIR" refuses every token of the leaked key within seconds.
#
# Run it as the user that owns the keys; run as root, it gives the new
# files the folder's owner.
set -euo pipefail

PRIVATE=jwt-private.pem
PUBLIC=jwt-public.pem
PREVIOUS=jwt-previous-public.pem
MARGIN=60

usage() {
	cat >&2 <<-EOF
	usage: $0 [--force] [--alg ES256|RS256] [--ttl S] [--wait S] KEYS_DIR
	       $0 --retire [--force] [--ttl S] KEYS_DIR
	EOF
	exit 2
}
die() { printf 'rotate-jwt-keys: %s\n' "$*" >&2; exit 1; }
say() { printf 'rotate-jwt-keys: %s\n' "$*"; }

force=0 retire=0 alg="" ttl=900 wait_s=3 dir=""
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--retire) retire=1 ;;
	--alg) alg=${2:?--alg ES256|RS256}; shift ;;
	--ttl) ttl=${2:?--ttl SECONDS}; shift ;;
	--wait) wait_s=${2:?--wait SECONDS}; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$dir" ] || usage; dir=$1 ;;
	esac
	shift
done
[ -n "$dir" ] || usage
[ -d "$dir" ] || die "$dir is not a folder"
[[ $ttl =~ ^[0-9]+$ && $wait_s =~ ^[0-9]+$ ]] ||
    die "--ttl and --wait are whole seconds"
dir=$(cd "$dir" && pwd)

# One rotation at a time in a folder.
exec 9<"$dir"
flock -n 9 || die "another rotation of $dir is running"

# Temporary files next to the keys (same file system: the renames are
# atomic), removed on exit unless renamed.
new_files=()
cleanup() { rm -f "${new_files[@]+"${new_files[@]}"}"; }
trap cleanup EXIT

# Gives tmp its mode (and, as root, the folder's owner), makes it durable
# and renames it to name.
install_as() {
	local tmp=$1 name=$2 mode=$3
	chmod "$mode" "$tmp"
	[ "$(id -u)" != 0 ] || chown --reference="$dir" "$tmp"
	sync "$tmp"
	mv -f "$tmp" "$dir/$name"
}

# Refuses while the previous key may still verify live tokens: it became
# previous (its file was written) less than the token lifetime, the wait
# and a margin (verification leeway, reload delay, clocks) ago.
check_previous_age() {
	local what=$1 age left
	[ -f "$dir/$PREVIOUS" ] || return 0
	age=$(($(date +%s) - $(stat -c %Y "$dir/$PREVIOUS")))
	left=$((ttl + wait_s + MARGIN - age))
	if [ "$left" -gt 0 ]; then
		[ "$force" = 1 ] || die "the previous key stopped signing ${age}s ago: tokens it signed may still be live. $what in ${left}s, or now with --force (those tokens are then refused)"
		say "--force: dropping a previous key that may still verify live tokens"
	fi
}

key_alg() {
	if openssl pkey -pubin -in "$1" -noout -text 2>/dev/null |
	    grep -q '^Modulus'; then
		echo RS256
	else
		echo ES256
	fi
}

if [ "$retire" = 1 ]; then
	[ -f "$dir/$PREVIOUS" ] || { say "no previous key in $dir"; exit 0; }
	check_previous_age "Retire it"
	rm -f "$dir/$PREVIOUS"
	say "previous key removed; services drop it within a second or two"
	exit 0
fi

if [ -f "$dir/$PUBLIC" ]; then
	[ -f "$dir/$PRIVATE" ] || die "$dir/$PUBLIC without $PRIVATE"
	current=$(key_alg "$dir/$PUBLIC")
	[ -n "$alg" ] || alg=$current
	[ "$alg" = "$current" ] || die "the current key is $current, not $alg: changing the algorithm (jwt.alg) is not a rotation"
	check_previous_age "Rotate again"
fi
alg=${alg:-ES256}

umask 077
priv=$(mktemp "$dir/.$PRIVATE.XXXXXX")
pub=$(mktemp "$dir/.$PUBLIC.XXXXXX")
prev=$(mktemp "$dir/.$PREVIOUS.XXXXXX")
new_files+=("$priv" "$pub" "$prev")
case $alg in
ES256)
	openssl ecparam -name prime256v1 -genkey -noout -out "$priv" 2>/dev/null
	openssl ec -in "$priv" -pubout -out "$pub" 2>/dev/null ;;
RS256)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 \
	    -out "$priv" 2>/dev/null
	openssl pkey -in "$priv" -pubout -out "$pub" ;;
*)
	die "--alg: ES256 or RS256, not $alg" ;;
esac

if [ -f "$dir/$PUBLIC" ]; then
	cat "$dir/$PUBLIC" >"$prev"
	install_as "$prev" "$PREVIOUS" 644
	install_as "$pub" "$PUBLIC" 644
	say "new public key published, the old one is previous; waiting ${wait_s}s before signing with the new key"
	sleep "$wait_s"
else
	install_as "$pub" "$PUBLIC" 644
fi
install_as "$priv" "$PRIVATE" 600
say "new private key installed ($alg): auth signs with it within a second or two"
