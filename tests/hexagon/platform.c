/* The platform hooks the standalone (noos) Halide runtime for Hexagon leaves to its
 * host, as this test harness provides them under qemu-hexagon (Linux user mode, one
 * thread, HVX always enabled, no VTCM). On a DSP, QuRT and the Hexagon SDK provide
 * qurt_hvx_* and HAP_*, and the application its own halide_print / halide_error
 * (README, "Hexagon"). */
#include "hexagon_rt.h"

/* QuRT's HVX context modes (qurt_hvx.h). */
enum { kQurtHvxMode64B = 0, kQurtHvxMode128B = 1 };

static int g_hvx_locked;

/* Under qemu-hexagon user mode the one thread owns the 128-byte HVX unit already. */
int qurt_hvx_lock(int mode) {
    if (mode != kQurtHvxMode128B) return -1;
    g_hvx_locked = 1;
    return 0;
}

int qurt_hvx_unlock(void) {
    if (!g_hvx_locked) return -1;
    g_hvx_locked = 0;
    return 0;
}

/* No tightly coupled memory here: a request fails (Halide then reports the error). */
void* HAP_request_VTCM(unsigned int size, unsigned int single_page) {
    (void)size;
    (void)single_page;
    return NULL;
}

int HAP_release_VTCM(void* p) { return p ? -1 : 0; }

void halide_print(void* user_context, const char* msg) {
    (void)user_context;
    hx_puts(2, msg);
}

/* The generated library turns a kernel's error into its RUNTIME_FAILURE status; the
 * message goes to stderr. */
void halide_error(void* user_context, const char* msg) {
    (void)user_context;
    hx_puts(2, "halide_error: ");
    hx_puts(2, msg);
    hx_puts(2, "\n");
}
