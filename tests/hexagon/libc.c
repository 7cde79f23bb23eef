/* The C library pieces a `--target=hexagon` library needs to run as a Hexagon Linux
 * user-mode program under qemu-hexagon (Debian has no Hexagon libc): the entry point,
 * the read/write/open/exit system calls, a static heap behind malloc/free, and the
 * string and memory functions the Halide runtime and the glue call. Test harness only:
 * on a DSP the platform's C library provides these (README, "Hexagon").
 *
 * Built freestanding (-ffreestanding -nostdlib), so the compiler does not turn these
 * loops back into calls to themselves. */
#include "hexagon_rt.h"

/* ---- system calls: number in r6, arguments in r0-r5, result in r0 ---- */

static long syscall3(long number, long a, long b, long c) {
    register long r0 __asm__("r0") = a;
    register long r1 __asm__("r1") = b;
    register long r2 __asm__("r2") = c;
    register long r6 __asm__("r6") = number;
    __asm__ volatile("trap0(#1)" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r6) : "memory");
    return r0;
}

enum { kSysOpenat = 56, kSysClose = 57, kSysRead = 63, kSysWrite = 64, kSysExitGroup = 94 };
enum { kAtFdcwd = -100 };

long hx_read(int fd, void* buf, size_t n) { return syscall3(kSysRead, fd, (long)buf, (long)n); }
long hx_write(int fd, const void* buf, size_t n) { return syscall3(kSysWrite, fd, (long)buf, (long)n); }
int hx_open(const char* path) { return (int)syscall3(kSysOpenat, kAtFdcwd, (long)path, 0 /* O_RDONLY */); }
int hx_close(int fd) { return (int)syscall3(kSysClose, fd, 0, 0); }

_Noreturn void hx_exit(int status) {
    for (;;) syscall3(kSysExitGroup, status, 0, 0);
}

int hx_write_all(int fd, const void* buf, size_t n) {
    const char* p = (const char*)buf;
    while (n > 0) {
        const long w = hx_write(fd, p, n);
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

void hx_puts(int fd, const char* s) { hx_write_all(fd, s, strlen(s)); }

/* ---- entry: the kernel leaves argc, argv[], NULL, envp[], NULL at the stack pointer ---- */

static char** g_environ;

int main(int argc, char** argv);

void hx_start_c(long* sp) {
    const int argc = (int)sp[0];
    char** argv = (char**)(sp + 1);
    g_environ = argv + argc + 1;
    hx_exit(main(argc, argv));
}

/* Passes the initial stack pointer to hx_start_c on a 128-byte aligned stack. */
__asm__(".text\n"
        ".globl _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  r0 = r29\n"
        "  r29 = and(r29, #-128)\n"
        "  call hx_start_c\n");

void abort(void) {
    hx_puts(2, "abort\n");
    hx_exit(134);
}

char* getenv(const char* name) {
    const size_t n = strlen(name);
    for (char** e = g_environ; e && *e; ++e)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

int atoi(const char* s) {
    while (*s == ' ' || (*s >= '\t' && *s <= '\r')) ++s;
    const int neg = *s == '-';
    if (*s == '-' || *s == '+') ++s;
    int v = 0;
    for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (*s - '0');
    return neg ? -v : v;
}

/* ---- memory and strings ---- */

void* memcpy(void* dst, const void* src, size_t n) {
    unsigned char* d = (unsigned char*)dst;
    const unsigned char* s = (const unsigned char*)src;
    if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
        for (size_t i = 0; i < n; i += 8) *(uint64_t*)(d + i) = *(const uint64_t*)(s + i);
        return dst;
    }
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
    return dst;
}

/* The Hexagon compiler's call for copies it knows are 8-byte aligned, >= 32 bytes. */
void* __hexagon_memcpy_likely_aligned_min32bytes_mult8bytes(void* dst, const void* src, size_t n) {
    return memcpy(dst, src, n);
}

void* memmove(void* dst, const void* src, size_t n) {
    unsigned char* d = (unsigned char*)dst;
    const unsigned char* s = (const unsigned char*)src;
    if (d < s || d >= s + n) return memcpy(dst, src, n);
    while (n-- > 0) d[n] = s[n];
    return dst;
}

void* memset(void* dst, int v, size_t n) {
    unsigned char* d = (unsigned char*)dst;
    for (size_t i = 0; i < n; ++i) d[i] = (unsigned char)v;
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const unsigned char *p = (const unsigned char*)a, *q = (const unsigned char*)b;
    for (size_t i = 0; i < n; ++i)
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

int strncmp(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y || !x) return x < y ? -1 : x > y ? 1 : 0;
    }
    return 0;
}

/* ---- malloc/free: first fit over a static heap, free blocks kept in address order
 * and merged with their neighbours. Blocks are multiples of 16 bytes, header included. ---- */

enum { kHeapBytes = 32 << 20, kAlign = 16 };

typedef struct Block {
    size_t size;          /* bytes, header included */
    struct Block* next;   /* next free block (free blocks only) */
} Block;

_Alignas(128) static unsigned char g_heap[kHeapBytes];
static Block* g_free;
static int g_heap_ready;
static size_t g_malloc_calls;

size_t hx_malloc_calls(void) { return g_malloc_calls; }

void* malloc(size_t n) {
    ++g_malloc_calls;
    if (!g_heap_ready) {
        g_free = (Block*)g_heap;
        g_free->size = kHeapBytes;
        g_free->next = NULL;
        g_heap_ready = 1;
    }
    if (n > kHeapBytes) return NULL;
    const size_t need = (n + 2 * kAlign - 1) / kAlign * kAlign;   /* header: kAlign bytes */
    for (Block** link = &g_free; *link; link = &(*link)->next) {
        Block* b = *link;
        if (b->size < need) continue;
        if (b->size - need >= 2 * kAlign) {   /* split: the tail stays free */
            Block* rest = (Block*)((unsigned char*)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            b->size = need;
            *link = rest;
        } else {
            *link = b->next;
        }
        return (unsigned char*)b + kAlign;
    }
    return NULL;
}

void free(void* p) {
    if (!p) return;
    Block* b = (Block*)((unsigned char*)p - kAlign);
    Block* prev = NULL;
    Block* next = g_free;
    while (next && next < b) prev = next, next = next->next;
    b->next = next;
    if (next && (unsigned char*)b + b->size == (unsigned char*)next) b->size += next->size, b->next = next->next;
    if (prev && (unsigned char*)prev + prev->size == (unsigned char*)b) {
        prev->size += b->size, prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        g_free = b;
    }
}
