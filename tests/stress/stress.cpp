// Stress test of one generated library, linked only against its net.h + libnet.a
// (a small synth model compiled once at build time). Plain C++17, no test
// framework, so the same source builds plain, with ThreadSanitizer, with
// ASan/LeakSanitizer and for valgrind.
//
//   stress_app --write-ppm FILE          write the test image (for the reference interpreter)
//   stress_app [--calls N] [--repeats R] [--skip-unless avx2] PART... [--reference REF.f32]
//     api      bad arguments give the documented status codes, never crash, leave
//              the output untouched; a good call afterwards still gives the same result
//     threads  set_num_threads(1/2/4), R repeated calls and calls with the workers held
//              (hold_threads; BUSY for a second holder) bit-identical; 8 threads with
//              their own arenas (and 8 sharing the internal arena) bit-identical to a
//              single-threaded run; the RGB8 entry within 1e-4 of REF.f32, same argmax
//     memory   N calls with a caller arena after warm-up: no heap growth (allocator
//              bytes in use, RSS) and, with STRESS_COUNT_MALLOC, no malloc at all
// Prints FAIL lines; exit 0 on success, 1 on failure, 77 (skip) without the CPU feature.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/shared_data.h"
#include "net.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// From <sanitizer/allocator_interface.h>, which GCC does not install.
extern "C" size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#ifdef STRESS_COUNT_MALLOC
// Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign:
// every allocation by the app or the library (the Halide runtime included) is counted.
extern "C" {
void* __real_malloc(size_t n);
void* __real_calloc(size_t n, size_t m);
void* __real_realloc(void* p, size_t n);
int __real_posix_memalign(void** p, size_t a, size_t n);
}
static std::atomic<long> g_allocs{0};
extern "C" void* __wrap_malloc(size_t n) { ++g_allocs; return __real_malloc(n); }
extern "C" void* __wrap_calloc(size_t n, size_t m) { ++g_allocs; return __real_calloc(n, m); }
extern "C" void* __wrap_realloc(void* p, size_t n) { ++g_allocs; return __real_realloc(p, n); }
extern "C" int __wrap_posix_memalign(void** p, size_t a, size_t n) { ++g_allocs; return __real_posix_memalign(p, a, n); }
#endif

namespace {

std::atomic<int> g_failures{0};
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
            ++g_failures;                                                            \
        }                                                                            \
    } while (0)

using Output = std::vector<float>;

// An arena from the heap, aligned as the header asks; freed with the object.
struct Arena {
    std::vector<unsigned char> storage = std::vector<unsigned char>(NET_ARENA_BYTES + NET_ARENA_ALIGNMENT);
    unsigned char* get() {
        const size_t mis = reinterpret_cast<uintptr_t>(storage.data()) % NET_ARENA_ALIGNMENT;
        return storage.data() + (mis ? NET_ARENA_ALIGNMENT - mis : 0);
    }
};

// A deterministic RGB image, non-square (the centred crop matters), rows `pad` bytes longer than needed.
struct Image {
    int width, height, stride;
    std::vector<uint8_t> px;
    Image(int w, int h, int pad, unsigned seed) : width(w), height(h), stride(w * 3 + pad), px(size_t(stride) * h) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w * 3; ++x)
                px[size_t(y) * stride + x] = static_cast<uint8_t>((x * 7 + y * 13 + (x / 3) * (y % 5) + seed * 31) & 255);
        for (int y = 0; y < h; ++y)   // padding the library must not read into the picture
            for (int x = w * 3; x < stride; ++x) px[size_t(y) * stride + x] = 0xEE;
    }
};

const Image& test_image() {
    static const Image img(97, 80, 5, 0);
    return img;
}

// A deterministic float input in [-1, 1].
std::vector<float> float_input(unsigned seed) {
    std::vector<float> v(NET_INPUT_SIZE);
    uint32_t s = 2463534242u + seed * 7919u;
    for (float& x : v) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x = static_cast<float>(s % 20001) / 10000.0f - 1.0f;
    }
    return v;
}

bool same(const Output& a, const Output& b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0; }

bool write_ppm(const char* path) {
    const Image& img = test_image();
    std::ofstream f(path, std::ios::binary);
    f << "P6\n" << img.width << " " << img.height << "\n255\n";
    for (int y = 0; y < img.height; ++y)
        f.write(reinterpret_cast<const char*>(img.px.data() + size_t(y) * img.stride), img.width * 3);
    return f.good();
}

// ---- api ----

void part_api() {
    Arena arena;
    unsigned char* a = arena.get();
    const std::vector<float> in = float_input(1);
    const Image& img = test_image();
    const uint8_t* rgb = img.px.data();
    const int w = img.width, h = img.height, st = img.stride;
    Output good(NET_OUTPUT_SIZE), out(NET_OUTPUT_SIZE, -7.0f);
    CHECK(net_set_num_threads(1) == NET_OK);
    CHECK(net_run(in.data(), good.data(), a) == NET_OK);

    // Every rejected call returns its code and leaves the output untouched.
    const Output sentinel(NET_OUTPUT_SIZE, -7.0f);
    auto rejected = [&](int got, int want, int line) {
        if (got != want || !same(out, sentinel)) {
            std::printf("FAIL line %d: status %d (%s), want %d\n", line, got, net_status_string(got), want);
            ++g_failures;
        }
    };
#define REJECT(call, want) rejected(call, want, __LINE__)
    REJECT(net_run(nullptr, out.data(), a), NET_NULL_POINTER);
    REJECT(net_run(in.data(), nullptr, a), NET_NULL_POINTER);
    REJECT(net_run(nullptr, nullptr, nullptr), NET_NULL_POINTER);
    REJECT(net_run(in.data(), out.data(), a + 1), NET_MISALIGNED_ARENA);
    REJECT(net_run(in.data(), out.data(), a + 8), NET_MISALIGNED_ARENA);
    REJECT(net_run(in.data(), out.data(), a + NET_ARENA_ALIGNMENT / 2), NET_MISALIGNED_ARENA);
    REJECT(net_run_rgb8(nullptr, w, h, st, out.data(), a), NET_NULL_POINTER);
    REJECT(net_run_rgb8(rgb, w, h, st, nullptr, a), NET_NULL_POINTER);
    REJECT(net_run_rgb8(rgb, w, h, st, out.data(), a + 1), NET_MISALIGNED_ARENA);
    for (int bad : {0, -1, INT_MIN}) {
        REJECT(net_run_rgb8(rgb, bad, h, st, out.data(), a), NET_BAD_SIZE);
        REJECT(net_run_rgb8(rgb, w, bad, st, out.data(), a), NET_BAD_SIZE);
        REJECT(net_run_rgb8(rgb, w, h, bad, out.data(), a), NET_BAD_SIZE);
    }
    REJECT(net_run_rgb8(rgb, w, h, w * 3 - 1, out.data(), a), NET_BAD_SIZE);
    REJECT(net_run_rgb8(rgb, INT_MAX, 1, INT_MAX, out.data(), a), NET_BAD_SIZE);   // width * 3 overflows int
    REJECT(net_run_rgb8(rgb, INT_MAX / 2, 1, INT_MAX - 1, out.data(), a), NET_BAD_SIZE);
    REJECT(net_set_num_threads(0), NET_BAD_SIZE);
    REJECT(net_set_num_threads(-1), NET_BAD_SIZE);
    REJECT(net_set_num_threads(257), NET_BAD_SIZE);
    REJECT(net_set_num_threads(INT_MIN), NET_BAD_SIZE);
    for (int bad : {-1, 2, INT_MAX, INT_MIN}) REJECT(net_hold_threads(bad), NET_BAD_SIZE);
#undef REJECT

    // Status strings are static, distinct and never NULL.
    const char* prev = nullptr;
    for (int s : {NET_OK, NET_NULL_POINTER, NET_BAD_SIZE, NET_MISALIGNED_ARENA, NET_RUNTIME_FAILURE, NET_BUSY}) {
        CHECK(net_status_string(s) != nullptr && *net_status_string(s));
        CHECK(prev == nullptr || std::strcmp(prev, net_status_string(s)) != 0);
        prev = net_status_string(s);
    }
    for (int s : {-1, 6, INT_MAX, INT_MIN}) CHECK(std::strcmp(net_status_string(s), "unknown status code") == 0);
    CHECK(net_arena_bytes() == NET_ARENA_BYTES);

    // Degenerate but valid images: a probability vector comes out.
    const uint8_t px[3 * 1000] = {200, 10, 30};
    const int sizes[][3] = {{1, 1, 3}, {1000, 1, 3000}, {1, 1000, 3}, {2, 3, 6}};
    for (const auto& s : sizes) {
        Output o(NET_OUTPUT_SIZE, -1.0f);
        CHECK(net_run_rgb8(px, s[0], s[1], s[2], o.data(), a) == NET_OK);
        double sum = 0;
        for (float v : o) {
            CHECK(std::isfinite(v) && v >= 0.0f && v <= 1.0f);
            sum += v;
        }
        CHECK(std::fabs(sum - 1.0) < 1e-4);
    }

    // The library is still healthy after all that: same result, bit for bit.
    Output again(NET_OUTPUT_SIZE);
    CHECK(net_run(in.data(), again.data(), a) == NET_OK);
    CHECK(same(again, good));
    CHECK(net_run(in.data(), again.data(), nullptr) == NET_OK);
    CHECK(same(again, good));
}

// ---- threads ----

Output run_float(const std::vector<float>& in, void* arena) {
    Output o(NET_OUTPUT_SIZE);
    const int s = net_run(in.data(), o.data(), arena);
    if (s != NET_OK) {
        std::printf("FAIL: net_run: %s\n", net_status_string(s));
        ++g_failures;
    }
    return o;
}

Output run_rgb(const Image& img, void* arena) {
    Output o(NET_OUTPUT_SIZE);
    const int s = net_run_rgb8(img.px.data(), img.width, img.height, img.stride, o.data(), arena);
    if (s != NET_OK) {
        std::printf("FAIL: net_run_rgb8: %s\n", net_status_string(s));
        ++g_failures;
    }
    return o;
}

void part_threads(int repeats, const char* reference) {
    Arena arena;
    // Four float inputs and two images, each with its single-threaded answer.
    std::vector<std::vector<float>> inputs;
    for (unsigned i = 0; i < 4; ++i) inputs.push_back(float_input(i));
    const std::vector<Image> images{test_image(), Image(64, 64, 0, 3)};
    CHECK(net_set_num_threads(1) == NET_OK);
    std::vector<Output> want;
    for (const auto& in : inputs) want.push_back(run_float(in, arena.get()));
    for (const Image& img : images) want.push_back(run_rgb(img, arena.get()));
    CHECK(!same(want[0], want[1]));   // the inputs do reach the output

    // The oracle: the reference interpreter (`mncc run`) on the same image.
    if (reference) {
        Output ref(NET_OUTPUT_SIZE);
        std::ifstream f(reference, std::ios::binary);
        f.read(reinterpret_cast<char*>(ref.data()), NET_OUTPUT_SIZE * 4);
        CHECK(f.gcount() == NET_OUTPUT_SIZE * 4);
        const Output& got = want[4];
        int arg_got = 0, arg_ref = 0;
        for (int i = 0; i < NET_OUTPUT_SIZE; ++i) {
            if (std::fabs(got[i] - ref[i]) > 1e-4f) {
                std::printf("FAIL: class %d: library %.8g, reference %.8g\n", i, got[i], ref[i]);
                ++g_failures;
            }
            if (got[i] > got[arg_got]) arg_got = i;
            if (ref[i] > ref[arg_ref]) arg_ref = i;
        }
        CHECK(arg_got == arg_ref);
    }

    // Worker threads change nothing; neither do repeated calls.
    for (int n : {2, 4, 1}) {
        CHECK(net_set_num_threads(n) == NET_OK);
        for (size_t i = 0; i < inputs.size(); ++i) CHECK(same(run_float(inputs[i], arena.get()), want[i]));
        for (size_t i = 0; i < images.size(); ++i) CHECK(same(run_rgb(images[i], arena.get()), want[4 + i]));
    }
    CHECK(net_set_num_threads(2) == NET_OK);
    for (int r = 0; r < repeats; ++r) {
        const size_t i = r % want.size();
        CHECK(same(i < 4 ? run_float(inputs[i], arena.get()) : run_rgb(images[i - 4], arena.get()), want[i]));
    }

    // One thread holds the workers (they spin between its calls): same results for
    // it, BUSY for another thread's hold, whose calls still work (Halide's pool).
    // Released, another thread can take them.
    CHECK(net_hold_threads(1) == NET_OK);
    CHECK(net_hold_threads(1) == NET_OK);   // holding twice is holding
    for (size_t i = 0; i < want.size(); ++i)
        CHECK(same(i < 4 ? run_float(inputs[i], arena.get()) : run_rgb(images[i - 4], arena.get()), want[i]));
    std::thread([&] {
        Arena mine;
        CHECK(net_hold_threads(1) == NET_BUSY);
        CHECK(net_hold_threads(0) == NET_OK);   // releases nothing it does not hold
        CHECK(same(run_float(inputs[1], mine.get()), want[1]));
    }).join();
    CHECK(same(run_float(inputs[2], arena.get()), want[2]));
    CHECK(net_hold_threads(0) == NET_OK);
    std::thread([&] {
        Arena mine;
        CHECK(net_hold_threads(1) == NET_OK);
        CHECK(same(run_float(inputs[3], mine.get()), want[3]));
        CHECK(net_hold_threads(0) == NET_OK);
    }).join();

    // 8 callers at once, each cycling through the inputs, with their own arenas
    // and then all on the internal one (serialised by the library's mutex).
    for (bool own_arena : {true, false}) {
        std::vector<std::thread> threads;
        std::atomic<int> mismatches{0};
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                Arena mine;
                void* a = own_arena ? mine.get() : nullptr;
                for (int r = 0; r < repeats / 4 + 2; ++r) {
                    const size_t i = (t + r) % want.size();
                    const Output o = i < 4 ? run_float(inputs[i], a) : run_rgb(images[i - 4], a);
                    if (!same(o, want[i])) ++mismatches;
                }
            });
        for (std::thread& t : threads) t.join();
        if (mismatches) {
            std::printf("FAIL: %d results differ from the single-threaded run (%s arenas)\n", mismatches.load(),
                        own_arena ? "own" : "internal");
            ++g_failures;
        }
    }
}

// ---- memory ----

// Heap bytes in use: the sanitizer's allocator under ASan/TSan, else glibc's.
size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

long rss_kib() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void part_memory(int calls) {
    Arena arena;
    const std::vector<float> in = float_input(2);
    const Image& img = test_image();
    Output out(NET_OUTPUT_SIZE), first(NET_OUTPUT_SIZE), first_rgb(NET_OUTPUT_SIZE);
    CHECK(net_set_num_threads(2) == NET_OK);
    // Warm-up: the Halide thread pool and its per-thread state are created on first use.
    for (int i = 0; i < 5; ++i) {
        CHECK(net_run(in.data(), first.data(), arena.get()) == NET_OK);
        CHECK(net_run_rgb8(img.px.data(), img.width, img.height, img.stride, first_rgb.data(), arena.get()) == NET_OK);
    }
    const long rss0 = rss_kib();   // reading /proc allocates: before the heap is measured
    const size_t heap0 = heap_in_use();
#ifdef STRESS_COUNT_MALLOC
    const long allocs0 = g_allocs;
#endif
    int bad = 0;
    for (int i = 0; i < calls; ++i) {
        const bool rgb = i % 2;
        const int s = rgb ? net_run_rgb8(img.px.data(), img.width, img.height, img.stride, out.data(), arena.get())
                          : net_run(in.data(), out.data(), arena.get());
        if (s != NET_OK || !same(out, rgb ? first_rgb : first)) ++bad;
    }
#ifdef STRESS_COUNT_MALLOC
    const long allocs = g_allocs - allocs0;   // read before printf, which may allocate
#else
    const long allocs = -1;
#endif
    const size_t heap1 = heap_in_use();
    const long rss1 = rss_kib();
    std::printf("memory: %d calls: %d bad results, heap %zu -> %zu bytes, RSS %ld -> %ld KiB, %ld allocations\n", calls,
                bad, heap0, heap1, rss0, rss1, allocs);
    CHECK(bad == 0);
    CHECK(heap1 == heap0);
    CHECK(rss1 - rss0 < 1024);   // pages touched late (stack, allocator) but no per-call growth
#ifdef STRESS_COUNT_MALLOC
    CHECK(allocs == 0);
#endif
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);   // keep our lines when a sanitizer ends the process
    if (argc == 3 && std::strcmp(argv[1], "--write-ppm") == 0) return write_ppm(argv[2]) ? 0 : 1;
    int calls = 10000, repeats = 100;
    const char* reference = nullptr;
    std::vector<std::string> parts;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--calls" && i + 1 < argc) {
            calls = std::atoi(argv[++i]);
        } else if (a == "--repeats" && i + 1 < argc) {
            repeats = std::atoi(argv[++i]);
        } else if (a == "--reference" && i + 1 < argc) {
            reference = argv[++i];
        } else if (a == "--skip-unless" && i + 1 < argc) {
            if (!mncc_test::cpu_has(argv[++i])) {
                std::printf("skipped: this CPU has no %s\n", argv[i]);
                return 77;
            }
        } else if (a == "api" || a == "threads" || a == "memory") {
            parts.push_back(a);
        } else {
            std::fprintf(stderr, "usage: stress [--calls N] [--repeats R] [--reference REF.f32] api|threads|memory...\n");
            return 2;
        }
    }
    for (const std::string& p : parts) {
        if (p == "api") part_api();
        if (p == "threads") part_threads(repeats, reference);
        if (p == "memory") part_memory(calls);
    }
    std::printf("%s: %d failures\n", argv[0], g_failures.load());
    return g_failures ? 1 : 0;
}
