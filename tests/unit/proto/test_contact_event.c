/* test_contact_event - unit tests of proto/contact_event (placeholder
 * while the suite is written). Single-threaded. */
#include <cmocka.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "contact_event.h"

static void test_id_is_valid(void **state)
{
    (void)state;
    assert_true(contact_event_id_is_valid("c-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
