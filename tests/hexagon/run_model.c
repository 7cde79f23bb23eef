/* Runs one `--target=hexagon` library on one photo as a Hexagon Linux user-mode
 * program (under qemu-hexagon); built once per library with MODEL (its name) and
 * MODEL_UPPER (the name in capitals) defined, linked with libc.c, libm.c, platform.c:
 *
 *   run_model PHOTO.ppm LOGITS_OFFSET
 *
 * PHOTO.ppm must already have the model's input size. Writes to stdout, OUTPUT_SIZE
 * bytes each: MODEL_run's output on the raw RGB bytes (into a caller arena), the
 * integer logits read from that arena at LOGITS_OFFSET after the run, and
 * MODEL_run_rgb8's output on the same pixels (through the library's own arena).
 * tests/hexagon/check_hexagon.cpp compares them with the reference interpreter.
 * Fails if MODEL_run with the caller arena calls malloc (the header promises it does not).
 * Exit 0, or 1 with a message on stderr. */
#include "hexagon_rt.h"

#define MNCC_STR2(x) #x
#define MNCC_STR(x) MNCC_STR2(x)
#define MNCC_CAT2(a, b) a##b
#define MNCC_CAT(a, b) MNCC_CAT2(a, b)
#define API(f) MNCC_CAT(MODEL, f)
#define CONST(f) MNCC_CAT(MODEL_UPPER, f)
#include MNCC_STR(MODEL.h)

enum { kMaxFile = 1 << 20 };

_Alignas(128) static unsigned char g_arena[CONST(_ARENA_BYTES)];
static unsigned char g_file[kMaxFile];
static unsigned char g_out[CONST(_OUTPUT_SIZE)], g_out_rgb[CONST(_OUTPUT_SIZE)];

static int fail(const char* what, const char* detail) {
    hx_puts(2, "run_model: ");
    hx_puts(2, what);
    hx_puts(2, detail);
    hx_puts(2, "\n");
    return 1;
}

/* A non-negative decimal field of a P6 header at *p, after whitespace. */
static long header_field(const unsigned char** p, const unsigned char* end) {
    while (*p < end && (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')) ++*p;
    long v = -1;
    for (; *p < end && **p >= '0' && **p <= '9'; ++*p) v = (v < 0 ? 0 : v * 10) + (**p - '0');
    return v;
}

int main(int argc, char** argv) {
    if (argc != 3) return fail("usage: run_model PHOTO.ppm LOGITS_OFFSET", "");
    const int fd = hx_open(argv[1]);
    if (fd < 0) return fail("cannot open ", argv[1]);
    long n = 0, r;
    while (n < kMaxFile && (r = hx_read(fd, g_file + n, (size_t)(kMaxFile - n))) > 0) n += r;
    hx_close(fd);
    const unsigned char* p = g_file + 2;
    const unsigned char* end = g_file + n;
    const long w = n > 2 && g_file[0] == 'P' && g_file[1] == '6' ? header_field(&p, end) : -1;
    const long h = header_field(&p, end), maxval = header_field(&p, end);
    ++p;   /* the single whitespace byte before the pixels */
    if (w <= 0 || h <= 0 || maxval != 255 || w * h * 3 != CONST(_INPUT_SIZE) || end - p != w * h * 3)
        return fail("not a P6 PPM of the model's input size: ", argv[1]);
    long offset = 0;
    for (const char* s = argv[2]; *s; ++s) {
        if (*s < '0' || *s > '9') return fail("bad logits offset ", argv[2]);
        offset = offset * 10 + (*s - '0');
    }
    if (offset + CONST(_OUTPUT_SIZE) > CONST(_ARENA_BYTES)) return fail("logits offset outside the arena: ", argv[2]);

    const size_t mallocs = hx_malloc_calls();
    int status = API(_run)((const void*)p, (void*)g_out, g_arena);
    if (status != 0) return fail("run: ", API(_status_string)(status));
    if (hx_malloc_calls() != mallocs) return fail("run with a caller arena allocated on the heap", "");
    if (hx_write_all(1, g_out, sizeof g_out) || hx_write_all(1, g_arena + offset, CONST(_OUTPUT_SIZE)))
        return fail("cannot write the output", "");
    status = API(_run_rgb8)(p, (int)w, (int)h, (int)w * 3, (void*)g_out_rgb, NULL);
    if (status != 0) return fail("run_rgb8: ", API(_status_string)(status));
    if (hx_write_all(1, g_out_rgb, sizeof g_out_rgb)) return fail("cannot write the output", "");
    return 0;
}
