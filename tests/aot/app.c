/* An application using only the emitted hand.h + libhand.a, built as C99 and
 * (through app_cxx.cpp) as C++17, linked with -lpthread -ldl -lm only.
 *   app INPUT.f32 EXPECTED.f32
 * Checks the output against the reference interpreter's (1e-5), the status
 * codes, 1 vs 2 threads and repeated calls bit-identical, and that 100 calls
 * with a caller arena allocate nothing (malloc/calloc/realloc wrapped with
 * -Wl,--wrap). Prints FAIL lines and exits non-zero on any failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hand.h"

#ifdef __cplusplus
extern "C" {
#endif
void* __real_malloc(size_t n);
void* __real_calloc(size_t n, size_t m);
void* __real_realloc(void* p, size_t n);
void* __wrap_malloc(size_t n);
void* __wrap_calloc(size_t n, size_t m);
void* __wrap_realloc(void* p, size_t n);
#ifdef __cplusplus
}
#endif

static long g_allocs = 0;
void* __wrap_malloc(size_t n) { ++g_allocs; return __real_malloc(n); }
void* __wrap_calloc(size_t n, size_t m) { ++g_allocs; return __real_calloc(n, m); }
void* __wrap_realloc(void* p, size_t n) { ++g_allocs; return __real_realloc(p, n); }

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); ++g_failures; } } while (0)

static int read_f32(const char* path, float* dst, size_t n) {
    FILE* f = fopen(path, "rb");
    size_t got;
    if (!f) return 0;
    got = fread(dst, sizeof(float), n, f);
    fclose(f);
    return got == n;
}

/* The arena: static storage, aligned by hand (C99 has no alignas). */
static unsigned char g_storage[HAND_ARENA_BYTES + 2 * HAND_ARENA_ALIGNMENT];

int main(int argc, char** argv) {
    static float input[HAND_INPUT_SIZE], expected[HAND_OUTPUT_SIZE];
    float out1[HAND_OUTPUT_SIZE], out2[HAND_OUTPUT_SIZE], out3[HAND_OUTPUT_SIZE];
    unsigned char* arena = g_storage + (HAND_ARENA_ALIGNMENT - (size_t)g_storage % HAND_ARENA_ALIGNMENT);
    uint8_t rgb[4 * 4 * 3];
    long before;
    int i;
    if (argc != 3 || !read_f32(argv[1], input, HAND_INPUT_SIZE) || !read_f32(argv[2], expected, HAND_OUTPUT_SIZE)) {
        printf("FAIL: usage: app INPUT.f32 EXPECTED.f32 (files readable, right sizes)\n");
        return 2;
    }
    memset(rgb, 7, sizeof rgb);

    /* Values against the reference interpreter. */
    CHECK(hand_arena_bytes() == HAND_ARENA_BYTES);
    CHECK(hand_set_num_threads(1) == HAND_OK);
    CHECK(hand_run(input, out1, arena) == HAND_OK);
    for (i = 0; i < HAND_OUTPUT_SIZE; ++i) CHECK(fabsf(out1[i] - expected[i]) <= 1e-5f);

    /* 2 threads, the internal arena, repeated calls: bit-identical. */
    CHECK(hand_set_num_threads(2) == HAND_OK);
    CHECK(hand_run(input, out2, arena) == HAND_OK);
    CHECK(memcmp(out1, out2, sizeof out1) == 0);
    CHECK(hand_run(input, out3, NULL) == HAND_OK);
    CHECK(memcmp(out1, out3, sizeof out1) == 0);

    /* Status codes. */
    CHECK(hand_run(NULL, out1, arena) == HAND_NULL_POINTER);
    CHECK(hand_run(input, NULL, arena) == HAND_NULL_POINTER);
    CHECK(hand_run(input, out1, arena + 1) == HAND_MISALIGNED_ARENA);
    CHECK(hand_run(input, out1, arena + 32) == HAND_MISALIGNED_ARENA);
    CHECK(hand_run_rgb8(NULL, 4, 4, 12, out1, arena) == HAND_NULL_POINTER);
    CHECK(hand_run_rgb8(rgb, 0, 4, 12, out1, arena) == HAND_BAD_SIZE);
    CHECK(hand_run_rgb8(rgb, 4, -1, 12, out1, arena) == HAND_BAD_SIZE);
    CHECK(hand_run_rgb8(rgb, 4, 4, 11, out1, arena) == HAND_BAD_SIZE);
    /* The hand net's input is 12x10: not square, so no RGB8 entry point. */
    CHECK(hand_run_rgb8(rgb, 4, 4, 12, out1, arena) == HAND_BAD_SIZE);
    CHECK(hand_set_num_threads(0) == HAND_BAD_SIZE);
    CHECK(strcmp(hand_status_string(HAND_OK), "ok") == 0);
    CHECK(strcmp(hand_status_string(HAND_MISALIGNED_ARENA), "the arena is not aligned to 64 bytes") == 0);
    CHECK(strcmp(hand_status_string(12345), "unknown status code") == 0);

    /* No heap allocation per call with a caller arena (after warm-up). */
    CHECK(hand_run(input, out2, arena) == HAND_OK);
    before = g_allocs;
    for (i = 0; i < 100; ++i) CHECK(hand_run(input, out2, arena) == HAND_OK);
    CHECK(g_allocs == before);
    CHECK(memcmp(out1, out2, sizeof out1) == 0);
#ifdef __cplusplus
    {
        Hand model(arena);
        CHECK(model.run(input, out3) == HAND_OK);
        CHECK(memcmp(out1, out3, sizeof out1) == 0);
        CHECK(Hand::arena_bytes() == HAND_ARENA_BYTES);
    }
#endif
    printf("%s: %d failures, %ld allocations in 100 runs\n", argv[0], g_failures, g_allocs - before);
    return g_failures ? 1 : 0;
}
