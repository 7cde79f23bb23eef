/* The bare Hexagon Linux user-mode environment of the test harness (libc.c, libm.c,
 * platform.c): system calls and the C declarations the harness itself uses. */
#ifndef MNCC_TESTS_HEXAGON_RT_H_
#define MNCC_TESTS_HEXAGON_RT_H_

#include <stddef.h>
#include <stdint.h>

long hx_read(int fd, void* buf, size_t n);
long hx_write(int fd, const void* buf, size_t n);
int hx_open(const char* path);   /* read-only; negative errno on failure */
int hx_close(int fd);
int hx_write_all(int fd, const void* buf, size_t n);   /* 0, or -1 on failure */
void hx_puts(int fd, const char* s);
_Noreturn void hx_exit(int status);

void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int v, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strncmp(const char* a, const char* b, size_t n);
void* malloc(size_t n);
void free(void* p);
size_t hx_malloc_calls(void);   /* malloc calls so far */

#endif /* MNCC_TESTS_HEXAGON_RT_H_ */
