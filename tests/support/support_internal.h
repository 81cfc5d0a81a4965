/* support_internal - what the files of ccai_testsupport share and tests
 * do not see: the process registry's run-wide hooks and the temp dir
 * cleanup. Any thread. */
#ifndef CCAI_SUPPORT_INTERNAL_H
#define CCAI_SUPPORT_INTERNAL_H

#include <stddef.h>

/** SIGKILL every child process still running and reap it. */
void support_proc_kill_all(void);

/** Print the last @lines lines of every child's log of this run. */
void support_proc_dump_all(unsigned lines);

/** Read a whole file (new, NUL-terminated) or NULL. */
char *support_read_file(const char *path, size_t *len);

/** Make a unique path "<tmpdir>/<NN>-<stem><suffix>" (new) or NULL. */
char *support_tmp_path(const char *stem, const char *suffix);

#endif
