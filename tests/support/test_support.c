/* test_support - unit tests of ccai_testsupport itself: the murmur2
 * partitioner against the Java client's published values, child process
 * exit codes, signals and logs, free ports and the temp dir. Main thread. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ccai_test.h"

#include "banned.h"

static void test_murmur2_matches_java_client(void **state)
{
    /* org.apache.kafka.common.utils.UtilsTest#testMurmur2 */
    static const struct {
        const char *key;
        int32_t java;
    } cases[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t positive = (int32_t)((uint32_t)cases[i].java & 0x7fffffffu);

        assert_int_equal(ccai_kafka_murmur2_partition(
                             cases[i].key, strlen(cases[i].key), INT32_MAX),
                         positive);
        assert_int_equal(ccai_kafka_murmur2_partition(cases[i].key,
                                                      strlen(cases[i].key), 12),
                         positive % 12);
    }
}

static void test_proc_run_reports_exit_code_and_output(void **state)
{
    static const char *const args[] = {"-c", "echo hi-$CCAI_X; exit 3", NULL};
    static const char *const env[] = {"CCAI_X=there", NULL};
    char *out = NULL;

    (void)state;
    assert_int_equal(ccai_proc_run("path:sh", args, env, NULL, 0, 10000, &out),
                     3);
    assert_non_null(out);
    assert_non_null(strstr(out, "hi-there"));
    free(out);
}

static void test_proc_stdin_is_fed(void **state)
{
    static const char *const args[] = {NULL};
    char *out = NULL;

    (void)state;
    assert_int_equal(
        ccai_proc_run("path:cat", args, NULL, "line-one\n", 9, 10000, &out), 0);
    assert_string_equal(out, "line-one\n");
    free(out);
}

static void test_proc_stop_sends_sigterm(void **state)
{
    static const char *const args[] = {"-c", "sleep 30", NULL};
    struct ccai_proc *proc = ccai_proc_start("path:sh", args, NULL);

    (void)state;
    assert_non_null(proc);
    assert_false(ccai_proc_has_exited(proc));
    assert_int_equal(ccai_proc_stop(proc, 10000), 128 + SIGTERM);
    assert_int_equal(ccai_proc_term_signal(proc), SIGTERM);
    assert_int_equal(ccai_proc_exit_code(proc), -1);
    ccai_proc_free(proc);
}

static void test_proc_wait_log_finds_text(void **state)
{
    static const char *const args[] = {"-c", "echo ready-now; sleep 30", NULL};
    struct ccai_proc *proc = ccai_proc_start("path:sh", args, NULL);

    (void)state;
    assert_non_null(proc);
    assert_int_equal(ccai_proc_wait_log(proc, "ready-now", 10000), 0);
    assert_int_equal(ccai_proc_wait_log(proc, "never-printed", 100), -1);
    ccai_proc_free(proc);
}

static void test_free_port_and_tmpdir(void **state)
{
    int port = ccai_test_free_port();
    char *path = NULL;

    (void)state;
    assert_true(port > 0 && port < 65536);
    assert_non_null(ccai_test_tmpdir());
    path = ccai_test_write_file("x.txt", "abc", 3);
    assert_non_null(path);
    assert_non_null(strstr(path, ccai_test_tmpdir()));
    free(path);
}

static void test_http_no_answer_is_reported(void **state)
{
    struct ccai_http_resp resp;
    char url[64];
    int port = ccai_test_free_port();

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    assert_int_equal(ccai_http_request("GET", url, NULL, NULL, 0, &resp), -1);
    assert_int_equal(resp.status, 0);
    assert_true(resp.error[0] != '\0');
    ccai_http_resp_release(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_murmur2_matches_java_client),
        cmocka_unit_test(test_proc_run_reports_exit_code_and_output),
        cmocka_unit_test(test_proc_stdin_is_fed),
        cmocka_unit_test(test_proc_stop_sends_sigterm),
        cmocka_unit_test(test_proc_wait_log_finds_text),
        cmocka_unit_test(test_free_port_and_tmpdir),
        cmocka_unit_test(test_http_no_answer_is_reported),
    };

    return ccai_test_finish(
        cmocka_run_group_tests(tests, NULL, ccai_test_teardown));
}
