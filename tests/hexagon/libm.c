/* The math functions a `--target=hexagon` library calls (the softmax kernel works in
 * double like the reference interpreter; the RGB8 entry point rounds), and the
 * compiler's double multiply and divide helpers that Hexagon v66 has no instruction
 * for, written in integer arithmetic: IEEE 754 binary64, round to nearest even,
 * subnormals included. Test harness only (README, "Hexagon").
 *
 * exp: x = k ln2 + r with |r| <= ln2 / 2 (ln2 split so that k * kLn2Hi is exact),
 * exp(r) = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!) (the next term is below 2^-57
 * relative), summed with 1 + r carried in two doubles, then scaled by 2^k: within
 * 0.52 units in the last place (a different last bit from glibc in about 1% of cases). */
#include "hexagon_rt.h"

typedef union {
    double d;
    uint64_t u;
} F64;

typedef union {
    float f;
    uint32_t u;
} F32;

static const uint64_t kSign = 1ull << 63, kInf = 0x7ffull << 52, kHidden = 1ull << 52, kQuiet = 1ull << 51;

static double from_bits(uint64_t u) {
    F64 r;
    r.u = u;
    return r.d;
}

static uint64_t to_bits(double d) {
    F64 r;
    r.d = d;
    return r.u;
}

/* |x| = m * 2^(e - 1075) for finite nonzero x with 2^52 <= m < 2^53 (e <= 0 for subnormals). */
static void unpack(uint64_t u, uint64_t* m, int* e) {
    *e = (int)((u >> 52) & 0x7ff);
    *m = u & (kHidden - 1);
    if (*e) {
        *m |= kHidden;
        return;
    }
    *e = 1;
    while (!(*m & kHidden)) *m <<= 1, --*e;
}

/* The double nearest (ties to even) to q * 2^(e - 1077), given 2^54 <= q < 2^55 and
 * `sticky` = whether nonzero bits below q were dropped. Overflows to infinity,
 * underflows through the subnormals to zero. */
static double pack(uint64_t sign, int e, uint64_t q, int sticky) {
    if (e >= 0x7ff) return from_bits(sign | kInf);
    if (e <= 0) {
        const int s = 1 - e;
        if (s >= 64) {
            sticky |= q != 0;
            q = 0;
        } else {
            sticky |= (q & ((1ull << s) - 1)) != 0;
            q >>= s;
        }
        e = 0;
    }
    uint64_t m = q >> 2;
    const unsigned g = (unsigned)(q & 3);
    if (g > 2 || (g == 2 && (sticky || (m & 1)))) ++m;
    /* m carries the hidden bit for normals (and a rounding carry into the exponent). */
    uint64_t r = sign | (((uint64_t)(e > 0 ? e - 1 : 0) << 52) + m);
    if ((r & kInf) == kInf) r = sign | kInf;
    return from_bits(r);
}

double __hexagon_muldf3(double a, double b) {
    const uint64_t x = to_bits(a), y = to_bits(b), sign = (x ^ y) & kSign;
    const uint64_t ax = x & ~kSign, ay = y & ~kSign;
    if (ax > kInf || ay > kInf) return from_bits((ax > kInf ? x : y) | kQuiet);
    if (ax == kInf || ay == kInf) return from_bits(ax == 0 || ay == 0 ? kInf | kQuiet : sign | kInf);
    if (ax == 0 || ay == 0) return from_bits(sign);
    uint64_t ma, mb;
    int ea, eb;
    unpack(ax, &ma, &ea);
    unpack(ay, &mb, &eb);
    /* ma * mb = high * 2^64 + low, in [2^104, 2^106), from 32-bit halves. */
    const uint64_t a1 = ma >> 32, a0 = ma & 0xffffffffu, b1 = mb >> 32, b0 = mb & 0xffffffffu;
    const uint64_t lo = a0 * b0, mid = a0 * b1 + a1 * b0;
    const uint64_t low = lo + (mid << 32);
    const uint64_t high = a1 * b1 + (mid >> 32) + (low < lo);
    const int s = (high >> 41) ? 51 : 50;   /* keep 55 bits */
    const uint64_t q = (high << (64 - s)) | (low >> s);
    return pack(sign, ea + eb - 1073 + s, q, (low & ((1ull << s) - 1)) != 0);
}

double __hexagon_divdf3(double a, double b) {
    const uint64_t x = to_bits(a), y = to_bits(b), sign = (x ^ y) & kSign;
    const uint64_t ax = x & ~kSign, ay = y & ~kSign;
    if (ax > kInf || ay > kInf) return from_bits((ax > kInf ? x : y) | kQuiet);
    if (ax == kInf) return from_bits(ay == kInf ? kInf | kQuiet : sign | kInf);
    if (ay == kInf) return from_bits(sign);
    if (ay == 0) return from_bits(ax == 0 ? kInf | kQuiet : sign | kInf);
    if (ax == 0) return from_bits(sign);
    uint64_t ma, mb;
    int ea, eb;
    unpack(ax, &ma, &ea);
    unpack(ay, &mb, &eb);
    int e = ea - eb + 1023;
    if (ma < mb) ma <<= 1, --e;   /* now 1 <= ma / mb < 2 */
    /* q = floor(ma * 2^54 / mb), one bit at a time (Hexagon has no divide instruction). */
    uint64_t q = 0, rem = ma;
    for (int i = 0; i < 55; ++i) {
        q <<= 1;
        if (rem >= mb) rem -= mb, q |= 1;
        rem <<= 1;
    }
    return pack(sign, e, q, rem != 0);
}

double floor(double x) {
    uint64_t u = to_bits(x);
    const int e = (int)((u >> 52) & 0x7ff) - 1023;
    if (e >= 52) return x;   /* integral, infinite or NaN */
    if (e < 0) return (u & kSign) ? ((u << 1) ? -1.0 : x) : from_bits(0);
    const uint64_t mask = (kHidden - 1) >> e;
    if (!(u & mask)) return x;
    if (u & kSign) u += mask;   /* away from zero: carries into the integer part */
    return from_bits(u & ~mask);
}

/* Half away from zero. */
double round(double x) {
    const uint64_t u = to_bits(x);
    const int e = (int)((u >> 52) & 0x7ff) - 1023;
    if (e >= 52) return x;
    if (e < 0) return from_bits((u & kSign) | (e == -1 ? to_bits(1.0) : 0));
    const uint64_t mask = (kHidden - 1) >> e;
    return from_bits((u + ((mask + 1) >> 1)) & ~mask);
}

float roundf(float x) {
    F32 v;
    v.f = x;
    const int e = (int)((v.u >> 23) & 0xff) - 127;
    if (e >= 23) return x;
    if (e < 0) {
        v.u = (v.u & 0x80000000u) | (e == -1 ? 0x3f800000u : 0);
        return v.f;
    }
    const uint32_t mask = 0x7fffffu >> e;
    v.u = (v.u + ((mask + 1) >> 1)) & ~mask;
    return v.f;
}

double exp(double x) {
    static const double kLn2Hi = 0x1.62e42feep-1, kLn2Lo = 0x1.a39ef35793c76p-33, kInvLn2 = 0x1.71547652b82fep+0;
    if (x != x) return x;
    if (x > 709.782712893384) return from_bits(kInf);
    if (x < -745.1332191019412) return 0.0;
    const double kd = x * kInvLn2;
    const int k = (int)(kd < 0 ? kd - 0.5 : kd + 0.5);
    const double hi = x - k * kLn2Hi, lo = k * kLn2Lo, r = hi - lo;
    static const double kInvFact[14] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                                        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
                                        1.0 / 479001600, 1.0 / 6227020800.0};
    double p = kInvFact[13];
    for (int n = 12; n >= 2; --n) p = p * r + kInvFact[n];
    /* 1 + hi exactly as s + t (|hi| < 1), then the small terms: one rounding at the end. */
    const double s = 1.0 + hi, t = (1.0 - s) + hi;
    const double y = s + (t - lo + p * r * r);
    /* y * 2^k in at most two exact-or-final multiplications. */
    if (k > 1023) return y * 2.0 * from_bits((uint64_t)(k - 1 + 1023) << 52);
    if (k < -1022) return y * from_bits((uint64_t)(k + 1000 + 1023) << 52) * from_bits((uint64_t)(1023 - 1000) << 52);
    return y * from_bits((uint64_t)(k + 1023) << 52);
}
