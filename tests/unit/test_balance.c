/* Every balance mode with maxconn, backups, retries and the two-primaries case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proxy/balance.h"

#define UP(n)      { .up = true, .sessions = (n) }
#define DOWN       { .up = false }
#define FULL(n)    { .up = true, .sessions = (n), .maxconn = (n) }
#define BACKUP_UP  { .up = true, .backup = true }

static int pick(enum conf_balance mode, const struct balance_member *m, int n,
                uint32_t exclude, unsigned *cursor, enum balance_verdict expect)
{
	int picked = -1;

	assert_int_equal(balance_pick(mode, m, n, exclude, cursor, &picked), expect);
	return picked;
}

static void single_routes_to_the_one_primary(void **state)
{
	struct balance_member m[] = { DOWN, UP(5), DOWN };
	unsigned cursor = 0;

	(void)state;
	assert_int_equal(pick(CONF_BALANCE_SINGLE, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	/* A retry goes to the same primary: there is no other to try. */
	assert_int_equal(pick(CONF_BALANCE_SINGLE, m, 3, 1u << 1, &cursor, BALANCE_PICKED), 1);
}

static void single_refuses_two_primaries(void **state)
{
	struct balance_member m[] = { UP(0), DOWN, UP(0) };
	struct balance_member with_backup[] = { UP(0), BACKUP_UP };
	unsigned cursor = 0;

	(void)state;
	pick(CONF_BALANCE_SINGLE, m, 3, 0, &cursor, BALANCE_AMBIGUOUS);
	/* A backup that also passes /primary is a second primary all the same. */
	pick(CONF_BALANCE_SINGLE, with_backup, 2, 0, &cursor, BALANCE_AMBIGUOUS);
}

static void single_with_nothing_up_or_full(void **state)
{
	struct balance_member none[] = { DOWN, DOWN, DOWN };
	struct balance_member full[] = { DOWN, FULL(90), DOWN };
	unsigned cursor = 0;

	(void)state;
	pick(CONF_BALANCE_SINGLE, none, 3, 0, &cursor, BALANCE_NONE_UP);
	pick(CONF_BALANCE_SINGLE, full, 3, 0, &cursor, BALANCE_FULL);
	pick(CONF_BALANCE_SINGLE, none, 0, 0, &cursor, BALANCE_NONE_UP);
}

static void roundrobin_alternates_over_up_servers(void **state)
{
	struct balance_member m[] = { DOWN, UP(0), UP(0) };
	unsigned cursor = 0;
	int seen[3] = { 0 };

	(void)state;
	for (int i = 0; i < 6; i++)
		seen[pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED)]++;
	assert_int_equal(seen[0], 0);
	assert_int_equal(seen[1], 3);
	assert_int_equal(seen[2], 3);
}

static void roundrobin_skips_full_servers_then_queues(void **state)
{
	struct balance_member m[] = { FULL(2), UP(0), FULL(1) };
	unsigned cursor = 0;

	(void)state;
	assert_int_equal(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	assert_int_equal(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	m[1].maxconn = 1;
	m[1].sessions = 1;
	pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_FULL);
}

static void retry_prefers_an_untried_server(void **state)
{
	struct balance_member m[] = { UP(0), UP(0), UP(0) };
	unsigned cursor = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		int p = pick(CONF_BALANCE_ROUNDROBIN, m, 3, 1u << 0 | 1u << 1, &cursor,
		             BALANCE_PICKED);
		assert_int_equal(p, 2);
	}
	/* Every server tried: any is fine again rather than giving up. */
	assert_in_range(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 7, &cursor, BALANCE_PICKED), 0, 2);
}

static void leastconn_picks_the_least_busy(void **state)
{
	struct balance_member m[] = { UP(4), UP(2), UP(3), DOWN };
	unsigned cursor = 0;

	(void)state;
	assert_int_equal(pick(CONF_BALANCE_LEASTCONN, m, 4, 0, &cursor, BALANCE_PICKED), 1);
	m[1].sessions = 5;
	assert_int_equal(pick(CONF_BALANCE_LEASTCONN, m, 4, 0, &cursor, BALANCE_PICKED), 2);
}

static void leastconn_breaks_ties_in_turn(void **state)
{
	struct balance_member m[] = { UP(1), UP(1) };
	unsigned cursor = 0;
	int first = pick(CONF_BALANCE_LEASTCONN, m, 2, 0, &cursor, BALANCE_PICKED);
	int second = pick(CONF_BALANCE_LEASTCONN, m, 2, 0, &cursor, BALANCE_PICKED);

	(void)state;
	assert_int_not_equal(first, second);
}

static void first_fills_servers_in_order(void **state)
{
	struct balance_member m[] = { DOWN, { .up = true, .sessions = 0, .maxconn = 2 }, UP(0) };
	unsigned cursor = 0;

	(void)state;
	assert_int_equal(pick(CONF_BALANCE_FIRST, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	m[1].sessions = 2;
	assert_int_equal(pick(CONF_BALANCE_FIRST, m, 3, 0, &cursor, BALANCE_PICKED), 2);
}

static void backups_only_while_no_other_server_is_up(void **state)
{
	struct balance_member m[] = { UP(0), BACKUP_UP, DOWN };
	unsigned cursor = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED), 0);
	m[0].up = false;
	assert_int_equal(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	assert_int_equal(pick(CONF_BALANCE_LEASTCONN, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	assert_int_equal(pick(CONF_BALANCE_FIRST, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	/* A full regular server still keeps the backup out: clients queue instead. */
	m[0] = (struct balance_member)FULL(3);
	pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_FULL);
	m[0].up = false;
	m[1].up = false;
	pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_NONE_UP);
}

static void drained_servers_get_nothing_new(void **state)
{
	struct balance_member m[] = { UP(0), UP(0), DOWN };
	struct balance_member one_primary[] = { DOWN, UP(3) };
	struct balance_member two_primaries[] = { UP(0), UP(0) };
	unsigned cursor = 0;

	(void)state;
	m[0].drained = true;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pick(CONF_BALANCE_ROUNDROBIN, m, 3, 0, &cursor, BALANCE_PICKED), 1);
	m[1].drained = true;
	pick(CONF_BALANCE_LEASTCONN, m, 3, 0, &cursor, BALANCE_NONE_UP);
	/* The write port: a drained primary takes no new writes... */
	one_primary[1].drained = true;
	pick(CONF_BALANCE_SINGLE, one_primary, 2, 0, &cursor, BALANCE_NONE_UP);
	/* ...and still counts when another node claims to be primary too. */
	two_primaries[0].drained = true;
	pick(CONF_BALANCE_SINGLE, two_primaries, 2, 0, &cursor, BALANCE_AMBIGUOUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_routes_to_the_one_primary),
		cmocka_unit_test(single_refuses_two_primaries),
		cmocka_unit_test(single_with_nothing_up_or_full),
		cmocka_unit_test(roundrobin_alternates_over_up_servers),
		cmocka_unit_test(roundrobin_skips_full_servers_then_queues),
		cmocka_unit_test(retry_prefers_an_untried_server),
		cmocka_unit_test(leastconn_picks_the_least_busy),
		cmocka_unit_test(leastconn_breaks_ties_in_turn),
		cmocka_unit_test(first_fills_servers_in_order),
		cmocka_unit_test(backups_only_while_no_other_server_is_up),
		cmocka_unit_test(drained_servers_get_nothing_new),
	};
	return cmocka_run_group_tests_name("balance", tests, NULL, NULL);
}
