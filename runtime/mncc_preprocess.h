/* mncc_preprocess.h: the model's image preprocessing, shared by the reference
 * tools and every generated library (mncc embeds this text in the emitted glue,
 * so both sides classify the same pixels).
 *
 * TF-slim evaluation preprocessing as the reference inputs in ../shared were
 * made: take the centred square crop whose side is the shorter image edge,
 * resize it to size x size with an antialiased bilinear (triangle) filter whose
 * support grows with the downscale factor, horizontal pass then vertical pass,
 * each rounded to 8 bits (the way PIL resizes), then map every channel value v
 * to v * scale + offset (x / 127.5 - 1 by default). On the ../shared photos
 * this reproduces the reference PPM inputs to within one 8-bit step (99.7% of
 * the BMP values identical; PIL rounds its fixed-point weights slightly
 * differently).
 * Output is NHWC float RGB. Header-only, C99 and C++, no allocation: the
 * horizontal pass is recomputed per output row instead of stored. */
#ifndef MNCC_PREPROCESS_H_
#define MNCC_PREPROCESS_H_

#include <stddef.h>
#include <stdint.h>

/* The input range [first, first + count) and normalised triangle weight of
 * output sample `o` when resizing `in` samples to `out`. */
static inline void mncc_preprocess_window_(int in, int out, int o, int* first, int* count) {
    const double scale = (double)in / (double)out;
    const double fscale = scale > 1.0 ? scale : 1.0;
    const double center = (o + 0.5) * scale;
    int lo = (int)(center - fscale + 0.5);
    int hi = (int)(center + fscale + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    *first = lo;
    *count = hi - lo;
}

static inline double mncc_preprocess_weight_(int in, int out, int o, int first, int count, int i) {
    const double scale = (double)in / (double)out;
    const double fscale = scale > 1.0 ? scale : 1.0;
    const double center = (o + 0.5) * scale;
    double total = 0.0, w = 0.0;
    for (int k = 0; k < count; ++k) {
        double t = (first + k - center + 0.5) / fscale;
        double v = 1.0 - (t < 0 ? -t : t);
        if (v < 0) v = 0;
        total += v;
        if (first + k == i) w = v;
    }
    return total > 0 ? w / total : 0.0;
}

static inline double mncc_preprocess_round8_(double v) {
    v = (double)(int64_t)(v + 0.5);
    return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* Returns 0 on success, -1 on bad arguments (NULL pointers, non-positive
 * sizes, a row stride smaller than width * 3). */
static inline int mncc_preprocess_rgb8(const uint8_t* rgb, int width, int height, int row_stride_bytes,
                                       int size, float scale, float offset, float* out) {
    if (!rgb || !out || width <= 0 || height <= 0 || size <= 0) return -1;
    if ((int64_t)row_stride_bytes < (int64_t)width * 3) return -1;
    const int side = width < height ? width : height;
    const int x0 = (width - side) / 2;
    const int y0 = (height - side) / 2;
    const size_t row = (size_t)size * 3;
    for (int oy = 0; oy < size; ++oy) {
        float* dst = out + (size_t)oy * row;
        int yfirst, ycount;
        mncc_preprocess_window_(side, size, oy, &yfirst, &ycount);
        for (size_t i = 0; i < row; ++i) dst[i] = 0.0f;
        for (int ky = 0; ky < ycount; ++ky) {
            const int y = yfirst + ky;
            const double wy = mncc_preprocess_weight_(side, size, oy, yfirst, ycount, y);
            const uint8_t* src = rgb + (size_t)(y0 + y) * (size_t)row_stride_bytes + (size_t)x0 * 3;
            for (int ox = 0; ox < size; ++ox) {
                int xfirst, xcount;
                mncc_preprocess_window_(side, size, ox, &xfirst, &xcount);
                double acc[3] = {0, 0, 0};
                for (int kx = 0; kx < xcount; ++kx) {
                    const int x = xfirst + kx;
                    const double wx = mncc_preprocess_weight_(side, size, ox, xfirst, xcount, x);
                    for (int c = 0; c < 3; ++c) acc[c] += wx * src[(size_t)x * 3 + (size_t)c];
                }
                for (int c = 0; c < 3; ++c)
                    dst[(size_t)ox * 3 + (size_t)c] += (float)(wy * mncc_preprocess_round8_(acc[c]));
            }
        }
        for (size_t i = 0; i < row; ++i) dst[i] = (float)(mncc_preprocess_round8_(dst[i]) * scale + offset);
    }
    return 0;
}

#endif /* MNCC_PREPROCESS_H_ */
