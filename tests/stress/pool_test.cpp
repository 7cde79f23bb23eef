// The generated libraries' thread pool (runtime/mncc_thread_pool.h) on its own,
// with plain task functions instead of Halide kernels: every task of every job
// runs exactly once, across thousands of back-to-back jobs of 1..9 tasks and
// 1..4 threads; a failing task's status comes back; a loop started inside a
// task runs inline; a loop started by a thread that does not own the pool goes
// to the previous handler; set_threads takes effect at the next ownership; each
// thread runs its own contiguous block of a job's tasks.
// Plain C++17 (no test framework), built plain and with ThreadSanitizer.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "runtime/mncc_thread_pool.h"

namespace {

int g_failures = 0;
#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) {                                                 \
            std::printf("FAIL line %d: %s\n", __LINE__, #cond);        \
            ++g_failures;                                              \
        }                                                              \
    } while (0)

// Halide's runtime is not linked: this stands in for its setter and default handler.
std::atomic<int> g_previous_calls{0};
int previous_handler(void* uc, halide_task_t f, int min, int size, uint8_t* closure) {
    ++g_previous_calls;
    for (int i = 0; i < size; ++i)
        if (int r = f(uc, min + i, closure)) return r;
    return 0;
}

struct Job {
    std::vector<std::atomic<int>> runs;
    int fail_at = -1;   // task index that returns an error
    explicit Job(int n) : runs(n) {}
};

int count_task(void*, int i, uint8_t* closure) {
    Job& j = *reinterpret_cast<Job*>(closure);
    j.runs[i].fetch_add(1, std::memory_order_relaxed);
    return i == j.fail_at ? 7 : 0;
}

bool each_once(const Job& j) {
    for (const auto& r : j.runs)
        if (r.load() != 1) return false;
    return true;
}

int par_for(Job& j) {
    return mncc_rt::Pool::do_par_for(nullptr, count_task, 0, static_cast<int>(j.runs.size()),
                                     reinterpret_cast<uint8_t*>(&j));
}

// A task that starts a loop of its own (nested): it must run inline.
int nested_task(void*, int, uint8_t* closure) {
    Job inner(5);
    const int r = par_for(inner);
    if (r == 0 && each_once(inner)) reinterpret_cast<std::atomic<int>*>(closure)->fetch_add(1);
    return r;
}

// Two tasks per thread in rounds (task 2p + r is round r of participant p): each
// task waits until every task of its round has started, so the rounds run with all
// threads at once, and no thread can take another's task while its own wait. The
// pool must give participant p (the owner is 0) the contiguous block {2p, 2p + 1},
// the rows it ran in the previous layer: the task's runner is recorded. With one
// shared counter (tasks handed out in turn) the first round never completes.
struct Rounds {
    int threads = 0;
    std::atomic<int> started[2] = {};
    std::vector<std::atomic<pthread_t>> runner;
    std::atomic<bool> timed_out{false};
    explicit Rounds(int t) : threads(t), runner(2 * size_t(t)) {}
};

int round_task(void*, int i, uint8_t* closure) {
    Rounds& r = *reinterpret_cast<Rounds*>(closure);
    r.runner[size_t(i)].store(pthread_self());
    std::atomic<int>& started = r.started[i % 2];
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (unsigned k = 0; started.load() < r.threads; ++k) {
        if (std::chrono::steady_clock::now() > deadline) {
            r.timed_out = true;
            break;
        }
        if (k % 64 == 63) std::this_thread::yield();
    }
    return 0;
}

}  // namespace

extern "C" halide_do_par_for_t halide_set_custom_do_par_for(halide_do_par_for_t) { return previous_handler; }

int main() {
    mncc_rt::Pool& pool = mncc_rt::Pool::instance();
    mncc_rt::Pool::install();
    for (int threads = 1; threads <= 4; ++threads) {
        pool.set_threads(threads);
        CHECK(pool.hold(true));
        int bad = 0;
        for (int k = 0; k < 4000; ++k) {
            Job j(1 + k % 9);
            if (par_for(j) != 0 || !each_once(j)) ++bad;
        }
        CHECK(bad == 0);
        Job big(1000);
        big.fail_at = 500;
        CHECK(par_for(big) == 7);
        bool at_most_once = true;   // inline runs stop at the failure; pooled ones finish the others
        for (const auto& r : big.runs) at_most_once = at_most_once && r.load() <= 1;
        CHECK(at_most_once && big.runs[500].load() == 1);
        std::atomic<int> nested_ok{0};
        CHECK(mncc_rt::Pool::do_par_for(nullptr, nested_task, 0, 6, reinterpret_cast<uint8_t*>(&nested_ok)) == 0);
        CHECK(nested_ok.load() == 6);
        CHECK(pool.hold(false));
    }

    // Blocks of consecutive tasks per thread, the owner's first, all threads at once.
    for (int threads = 2; threads <= 4; ++threads) {
        pool.set_threads(threads);
        CHECK(pool.hold(true));
        Rounds r(threads);
        CHECK(mncc_rt::Pool::do_par_for(nullptr, round_task, 0, 2 * threads, reinterpret_cast<uint8_t*>(&r)) == 0);
        CHECK(!r.timed_out.load());
        CHECK(pthread_equal(r.runner[0].load(), pthread_self()) && pthread_equal(r.runner[1].load(), pthread_self()));
        bool blocks = true;
        for (int p = 0; p < threads; ++p) {
            blocks = blocks && pthread_equal(r.runner[size_t(2 * p)].load(), r.runner[size_t(2 * p + 1)].load());
            for (int q = 0; q < p; ++q) blocks = blocks && !pthread_equal(r.runner[size_t(2 * p)].load(), r.runner[size_t(2 * q)].load());
        }
        CHECK(blocks);
        CHECK(pool.hold(false));
    }

    // Another thread's loop while this one holds the pool: the previous handler runs it.
    pool.set_threads(2);
    CHECK(pool.hold(true));
    const int before = g_previous_calls.load();
    std::thread([&] {
        CHECK(!pool.hold(true));   // held by main
        Job j(8);
        CHECK(par_for(j) == 0 && each_once(j));
    }).join();
    CHECK(g_previous_calls.load() == before + 1);
    CHECK(pool.hold(false));

    // Released: another thread can own it, and its loops use the pool again.
    std::thread([&] {
        CHECK(pool.hold(true));
        Job j(8);
        CHECK(par_for(j) == 0 && each_once(j));
        CHECK(pool.hold(false));
    }).join();
    CHECK(g_previous_calls.load() == before + 1);

    // Many owners one after another, each with its own Scope, concurrently trying.
    std::atomic<int> bad{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int k = 0; k < 300; ++k) {
                mncc_rt::Pool::Scope scope(pool);
                Job j(1 + k % 7);
                if (par_for(j) != 0 || !each_once(j)) ++bad;
            }
        });
    for (std::thread& t : ts) t.join();
    CHECK(bad.load() == 0);

    std::printf("pool_test: %d failures\n", g_failures);
    return g_failures ? 1 : 0;
}
