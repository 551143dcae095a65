/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/read/fileio.h"
#include "daemon/read/psi.h"
#include "daemon/read/system_sample.h"
#include "test-util.h"

#define EPS 1e-9

Test(psi_parse, some_and_full) {
        PsiStats s;

        cr_assert_eq(psi_parse("some avg10=1.50 avg60=0.75 avg300=0.25 total=123456\n"
                               "full avg10=0.50 avg60=0.20 avg300=0.05 total=65432\n", &s), 0);
        cr_assert(s.some.valid);
        cr_assert(s.full.valid);
        cr_assert_float_eq(s.some.avg10, 1.5, EPS);
        cr_assert_float_eq(s.some.avg60, 0.75, EPS);
        cr_assert_float_eq(s.some.avg300, 0.25, EPS);
        cr_assert_eq(s.some.total_usec, 123456);
        cr_assert_float_eq(s.full.avg10, 0.5, EPS);
        cr_assert_float_eq(s.full.avg60, 0.2, EPS);
        cr_assert_float_eq(s.full.avg300, 0.05, EPS);
        cr_assert_eq(s.full.total_usec, 65432);
}

Test(psi_parse, only_some_leaves_full_invalid) {
        PsiStats s;

        memset(&s, 0xff, sizeof s);
        cr_assert_eq(psi_parse("some avg10=99.99 avg60=100.00 avg300=0.00 total=18446744073709551615\n", &s), 0);
        cr_assert(s.some.valid);
        cr_assert(!s.full.valid);
        cr_assert_float_eq(s.full.avg10, 0.0, EPS);
        cr_assert_float_eq(s.some.avg10, 99.99, EPS);
        cr_assert_float_eq(s.some.avg60, 100.0, EPS);
        cr_assert_eq(s.some.total_usec, UINT64_MAX);
}

Test(psi_parse, no_trailing_newline_and_order_of_keys) {
        PsiStats s;

        cr_assert_eq(psi_parse("some total=7 avg300=3 avg60=2.5 avg10=1.25", &s), 0);
        cr_assert_float_eq(s.some.avg10, 1.25, EPS);
        cr_assert_float_eq(s.some.avg60, 2.5, EPS);
        cr_assert_float_eq(s.some.avg300, 3.0, EPS);
        cr_assert_eq(s.some.total_usec, 7);
}

Test(psi_parse, tolerates_unknown_keys_lines_crlf_and_trailing_blanks) {
        PsiStats s;

        cr_assert_eq(psi_parse("some avg10=1.00 avg60=2.00 avg300=3.00 total=4 avg1=0.50  \r\n"
                               "\n"
                               "wait avg10=9.00 total=1\n"
                               "full avg10=5.00 avg60=6.00 avg300=7.00 total=8\t\n", &s), 0);
        cr_assert_float_eq(s.some.avg10, 1.0, EPS);
        cr_assert_eq(s.some.total_usec, 4);
        cr_assert_float_eq(s.full.avg300, 7.0, EPS);
        cr_assert_eq(s.full.total_usec, 8);
}

Test(psi_parse, full_before_some) {
        PsiStats s;

        cr_assert_eq(psi_parse("full avg10=5.00 avg60=6.00 avg300=7.00 total=8\n"
                               "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n", &s), 0);
        cr_assert_float_eq(s.full.avg10, 5.0, EPS);
        cr_assert_float_eq(s.some.avg10, 1.0, EPS);
}

Test(psi_parse, rejects_malformed) {
        static const char *const bad[] = {
                "",
                "\n",
                /* only full: some is required */
                "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                /* truncated last line */
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg6",
                "some avg10=0.00 avg60=0.00 avg3",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfu",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nwait avg10=\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nwait nothing\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total",
                "some",
                "some \n",
                /* missing key */
                "some avg10=0.00 avg300=0.00 total=0\n",
                /* non-numeric, negative, signs, bad decimals */
                "some avg10=abc avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=+1.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1. avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=.5 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1.0x avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=1,5 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=12ab\n",
                /* out of range: avg above 100, total above 2^64 */
                "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=250.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",
                /* repeated key, repeated line */
                "some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                /* garbage */
                "\x01\x02\x03",
                "42\n",
                "SOME avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10 = 0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some =1 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                /* a good some line does not excuse a broken full line */
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=x avg60=0.00 avg300=0.00 total=0\n",
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                PsiStats s;
                int r = psi_parse(bad[i], &s);
                cr_assert(r == -EINVAL || r == -ERANGE, "psi_parse accepted case %zu (\"%s\"): %d", i, bad[i], r);
        }
        cr_assert_eq(psi_parse(NULL, &(PsiStats) {}), -EINVAL);
}

Test(psi_parse, overflow_is_erange) {
        PsiStats s;

        cr_assert_eq(psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n", &s), -ERANGE);
}

Test(system_sample_read, fixture) {
        SystemSample s;

        cr_assert_eq(system_sample_read(FIXTURES_DIR "/proc-basic", true, true, true, true, &s, NULL, 0), 0);
        cr_assert_float_eq(s.mem_psi.some.avg10, 1.5, EPS);
        cr_assert_eq(s.mem_psi.full.total_usec, 65432);
        cr_assert_float_eq(s.io_psi.some.avg10, 12.34, EPS);
        cr_assert_float_eq(s.io_psi.full.avg300, 0.9, EPS);
        cr_assert(s.meminfo.valid);
        cr_assert_eq(s.meminfo.mem_total, UINT64_C(8000000) * 1024);
        cr_assert_eq(s.meminfo.mem_available, UINT64_C(3000000) * 1024);
        cr_assert(s.vmstat.valid);
        cr_assert_eq(s.vmstat.pgscan, 1230);
        cr_assert_eq(s.vmstat.pgsteal, 123);
        cr_assert_eq(s.vmstat.pswpin, 11);
        cr_assert_eq(s.vmstat.pswpout, 22);
}

Test(system_sample_read, reads_only_what_is_asked) {
        SystemSample s;

        cr_assert_eq(system_sample_read(FIXTURES_DIR "/proc-basic", true, false, false, false, &s, NULL, 0), 0);
        cr_assert(s.mem_psi.some.valid);
        cr_assert(!s.io_psi.some.valid);
        cr_assert(!s.meminfo.valid);
        cr_assert(!s.vmstat.valid);

        cr_assert_eq(system_sample_read(FIXTURES_DIR "/proc-basic", false, false, false, true, &s, NULL, 0), 0);
        cr_assert(!s.mem_psi.some.valid);
        cr_assert(s.vmstat.valid);
}

/* A scratch proc root with an empty pressure/ directory. */
static char *make_tmp_proc(void) {
        char *dir = malloc(64);

        cr_assert_not_null(dir);
        tmpdir_new(dir, 64, "test-psi");
        mkdir_at(dir, "pressure");
        return dir;
}

Test(system_sample_read, errors) {
        char *dir = make_tmp_proc();
        SystemSample s;

        /* no PSI (CONFIG_PSI off, or psi=0) */
        cr_assert_eq(system_sample_read(dir, true, false, false, false, &s, NULL, 0), -ENOENT);
        /* a malformed PSI file */
        write_at(dir, "pressure/memory", "some avg10=0.00 avg60=0.00\n");
        cr_assert_eq(system_sample_read(dir, true, false, false, false, &s, NULL, 0), -EINVAL);
        /* a meminfo without MemAvailable (kernel < 3.14) */
        write_at(dir, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\n");
        cr_assert_eq(system_sample_read(dir, false, false, true, false, &s, NULL, 0), -EINVAL);
        /* nothing asked: nothing read, success */
        cr_assert_eq(system_sample_read(dir, false, false, false, false, &s, NULL, 0), 0);
        /* no proc root at all */
        cr_assert_eq(system_sample_read("/nonexistent-proc-root", true, true, true, true, &s, NULL, 0), -ENOENT);
        rm_rf_at(dir, "");
        free(dir);
}

/* A kernel without PSI still has MemAvailable: the parts that can be read are, and the error names the rest. */
Test(system_sample_read, a_missing_part_does_not_hide_the_others) {
        char *dir = make_tmp_proc();
        char err[1024];
        SystemSample s;

        write_at(dir, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 500 kB\n");
        cr_assert_eq(system_sample_read(dir, true, false, true, false, &s, err, sizeof err), -ENOENT);
        cr_assert(s.meminfo.valid);
        cr_assert_eq(s.meminfo.mem_available, 500 * 1024);
        cr_assert_not(s.mem_psi.some.valid);
        cr_assert(strstr(err, "pressure/memory is missing") && strstr(err, "CONFIG_PSI"), "%s", err);

        /* two failures, both described */
        write_at(dir, "meminfo", "garbage\n");
        cr_assert_eq(system_sample_read(dir, true, false, true, false, &s, err, sizeof err), -ENOENT);
        cr_assert_not(s.meminfo.valid);
        cr_assert(strstr(err, "pressure/memory") && strstr(err, "meminfo"), "%s", err);
        rm_rf_at(dir, "");
        free(dir);
}

Test(system_sample_read, large_file_grows_the_buffer) {
        char *dir = make_tmp_proc();
        size_t size = 64 * 1024, n = 0;
        char *text = malloc(size);
        SystemSample s;

        /* a vmstat far bigger than any first guess, the known keys at the very end */
        while (n < size - 200)
                n += snprintf(text + n, size - n, "nr_filler_%zu %zu\n", n, n);
        snprintf(text + n, size - n, "pgscan_kswapd 5\npgscan_direct 6\n");
        write_at(dir, "vmstat", text);
        cr_assert_eq(system_sample_read(dir, false, false, false, true, &s, NULL, 0), 0);
        cr_assert_eq(s.vmstat.pgscan, 11);
        free(text);
        rm_rf_at(dir, "");
        free(dir);
}

Test(system_sample_read, real_proc) {
        SystemSample s;

        if (access("/proc/pressure/memory", R_OK) < 0)
                cr_skip_test("this kernel has no /proc/pressure (CONFIG_PSI off or psi=0)");
        cr_assert_eq(system_sample_read("/proc", true, true, true, true, &s, NULL, 0), 0);
        cr_assert(s.mem_psi.some.valid);
        cr_assert(s.mem_psi.full.valid);
        cr_assert(s.io_psi.some.valid);
        cr_assert(s.meminfo.valid);
        cr_assert_gt(s.meminfo.mem_total, UINT64_C(64) << 20);
        cr_assert_leq(s.meminfo.mem_available, s.meminfo.mem_total);
        cr_assert_leq(s.meminfo.mem_free, s.meminfo.mem_total);
        cr_assert(s.vmstat.valid);
        cr_assert_leq(s.mem_psi.some.avg10, 100.0);
}

Test(read_file_at, fits_exactly_and_too_small) {
        char *dir = make_tmp_proc();
        char buf[8];
        int dfd;

        write_at(dir, "seven", "1234567");
        write_at(dir, "eight", "12345678");
        write_at(dir, "empty", "");
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cr_assert_geq(dfd, 0);

        cr_assert_eq(read_file_at(dfd, "seven", buf, sizeof buf), 7);
        cr_assert_str_eq(buf, "1234567");
        cr_assert_eq(read_file_at(dfd, "eight", buf, sizeof buf), -EFBIG);
        cr_assert_eq(read_file_at(dfd, "empty", buf, sizeof buf), 0);
        cr_assert_str_eq(buf, "");
        cr_assert_eq(read_file_at(dfd, "missing", buf, sizeof buf), -ENOENT);
        cr_assert_eq(read_file_at(dfd, "seven", buf, 0), -EINVAL);
        /* a directory is not a file */
        cr_assert_eq(read_file_at(dfd, "pressure", buf, sizeof buf), -EISDIR);

        close(dfd);
        rm_rf_at(dir, "");
        free(dir);
}

Test(system_sample_read, keeps_procfs_files_open_and_not_a_fixture) {
        SystemFiles f = SYSTEM_FILES_INIT;
        SystemSample s;

        /* the real procfs: meminfo and vmstat kept open after the first read, and read anew each time */
        cr_assert_eq(system_sample_read_files(&f, "/proc", false, false, true, true, &s, NULL, 0), 0);
        cr_assert(s.meminfo.valid && s.vmstat.valid);
        int fd = f.fd[2];
        cr_assert_geq(fd, 0, "/proc/meminfo was not kept open");
        cr_assert_geq(f.fd[3], 0, "/proc/vmstat was not kept open");
        cr_assert_eq(system_sample_read_files(&f, "/proc", false, false, true, true, &s, NULL, 0), 0);
        cr_assert_eq(f.fd[2], fd, "reopened instead of read again");
        cr_assert(s.meminfo.valid && s.meminfo.mem_total > 0);
        system_files_close(&f);
        cr_assert_eq(f.fd[2], -1);

        /* a fixture (not procfs) is read anew each time: a test may replace its files */
        char *dir = make_tmp_proc();
        write_at(dir, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 500 kB\n");
        cr_assert_eq(system_sample_read_files(&f, dir, false, false, true, false, &s, NULL, 0), 0);
        cr_assert_eq(f.fd[2], -1, "a fixture file was kept open");
        cr_assert_eq(s.meminfo.mem_available, 500 * 1024);
        write_at(dir, "meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 400 kB\n");
        cr_assert_eq(system_sample_read_files(&f, dir, false, false, true, false, &s, NULL, 0), 0);
        cr_assert_eq(s.meminfo.mem_available, 400 * 1024);
        system_files_close(&f);
        rm_rf_at(dir, "");
        free(dir);
}
