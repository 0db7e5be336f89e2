# The IS System's services, sourced by the deploy scripts.
# IS_SERVICES is the order in which the migrator applies their SQL: a
# service comes after those whose tables or published functions it uses.
# Each service connects as its own database role, is_<name>.
# IS_PORT_OFFSET places each on IS_PORT_BASE + offset in the local stack.
# shellcheck disable=SC2034
IS_SERVICES=(auth messaging attendance profile scholarship)
# shellcheck disable=SC2034
declare -A IS_PORT_OFFSET=([auth]=1 [attendance]=2 [profile]=3 [messaging]=4
	[scholarship]=5)
