// mncc_thread_pool.h: the thread pool every generated (hosted) library runs its
// parallel loops on; mncc embeds this text in the emitted glue, so each library
// has its own pool (everything here has internal linkage).
//
// Why not Halide's own pool: between two parallel loops its workers sleep on a
// condition variable, so every layer's loop pays a wake-up (a futex, and on a
// virtual machine an interrupt into a halted vCPU) before the second thread
// joins, and the caller sleeps again while the last task ends. A network is 28
// short loops back to back. Here the workers spin (with a pause instruction)
// while a run is in progress and for 200 us after it, then sleep until the next
// run; tasks are claimed one at a time with an atomic compare-and-swap, no mutex.
// Measured (synth 1.0/224 fp32, AVX-512, 2 threads, `mncc bench --threads 2`,
// 2026-11-29): 8.4 -> 5.6 ms, the 14x14 pointwise layers 0.67 -> 0.43 ms.
//
// Use: Pool::set_threads(n); around a run, Pool::Scope scope(pool) makes the
// calling thread the pool's owner (or, when another thread owns it, leaves the
// loops to the previous handler); Pool::install() puts Pool::do_par_for in
// Halide's runtime (halide_set_custom_do_par_for) ahead of the previous handler,
// to which every loop not started by the owner is passed. hold(true) keeps the
// calling thread the owner, and the workers spinning, until hold(false).
//
// No thread_local (its __tls_get_addr is not in libc) and no guarded statics (C
// programs link the library without libstdc++). Workers are joined at exit.
#ifndef MNCC_THREAD_POOL_H_
#define MNCC_THREAD_POOL_H_

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <type_traits>

#include "HalideRuntime.h"

namespace mncc_rt {
namespace {

// One step of a spin-wait: a pause instruction, and every 32nd step the rest of
// the time slice, so that a thread this one waits for gets the core when both
// share one (another process busy on the other cores).
inline void spin_wait_step(unsigned step) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
    if (step % 32 == 31) sched_yield();
}

class Pool {
public:
    static constexpr int kMaxThreads = 256;
    static constexpr int kMaxTasks = 0xFFFF;   // larger loops go to the previous handler

    // Threads used by later runs, the caller included (1: no workers). Until set:
    // HL_NUM_THREADS if set, else the number of online CPUs (Halide's default).
    void set_threads(int n) { threads_.store(n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n, std::memory_order_relaxed); }

    // Makes the calling thread the owner for the scope's lifetime when nobody else is.
    class Scope {
    public:
        explicit Scope(Pool& p) : pool_(p), owned_(p.acquire()) {}
        ~Scope() {
            if (owned_) pool_.release();
        }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Pool& pool_;
        bool owned_;
    };

    // Ownership beyond one run (the NAME_hold_threads API): false when another thread owns the pool.
    bool hold(bool on) {
        if (!on) {
            if (is_owner()) release();
            return true;
        }
        return is_owner() || acquire();
    }

    static Pool& instance() {
        // Constant-initialised, so no guard; trivially destructible (see at_exit).
        static Pool pool;
        return pool;
    }

    // Installs do_par_for once; the previous handler gets every other loop.
    static void install() {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, [] { previous() = halide_set_custom_do_par_for(do_par_for); });
    }

    static int do_par_for(void* user_context, halide_task_t f, int min, int size, uint8_t* closure) {
        Pool& p = instance();
        if (!p.is_owner() || size > kMaxTasks) return previous()(user_context, f, min, size, closure);
        if (p.owner_in_task_ || size <= 1 || p.active_.load(std::memory_order_relaxed) == 0) {
            // Nested loops, single tasks and a one-thread pool run inline, in order.
            for (int i = 0; i < size; ++i)
                if (int r = f(user_context, min + i, closure)) return r;
            return 0;
        }
        return p.parallel(user_context, f, min, size, closure);
    }

private:
    static constexpr int64_t kGraceNs = 200 * 1000;

    struct WorkerArg {
        Pool* pool = nullptr;
        int id = 0;
        uint32_t seen = 0;   // the latest job when the worker was created: it joins the next one
    };

    static halide_do_par_for_t& previous() {
        static halide_do_par_for_t prev = nullptr;
        return prev;
    }

    bool is_owner() const {
        return has_owner_.load(std::memory_order_acquire) &&
               pthread_equal(owner_.load(std::memory_order_relaxed), pthread_self());
    }

    bool acquire() {
        if (is_owner() || pthread_mutex_trylock(&owner_lock_) != 0) return false;
        owner_.store(pthread_self(), std::memory_order_relaxed);
        has_owner_.store(true, std::memory_order_release);
        if (threads_.load(std::memory_order_relaxed) == 0) set_threads(default_threads());
        const int want = threads_.load(std::memory_order_relaxed) - 1;
        int have = workers_;
        for (; have < want; ++have) {
            worker_args_[have].pool = this;
            worker_args_[have].id = have;
            worker_args_[have].seen = job_.load(std::memory_order_relaxed);
            if (pthread_create(&threads_created_[have], nullptr, worker_main, &worker_args_[have]) != 0)
                break;  // fewer workers: the loops still finish
        }
        pthread_mutex_lock(&sleep_lock_);
        workers_ = have;
        active_.store(want < have ? want : have, std::memory_order_relaxed);
        running_.store(true, std::memory_order_release);
        pthread_cond_broadcast(&wake_);
        pthread_mutex_unlock(&sleep_lock_);
        return true;
    }

    void release() {
        owner_in_task_ = false;
        running_.store(false, std::memory_order_release);
        has_owner_.store(false, std::memory_order_release);
        pthread_mutex_unlock(&owner_lock_);
    }

public:
    // Stops and joins the workers (they may be spinning) as the process ends (a
    // destructor function below: atexit is not in libc.so).
    static void at_exit() {
        Pool& p = instance();
        pthread_mutex_lock(&p.sleep_lock_);
        p.shutdown_.store(true, std::memory_order_release);
        pthread_cond_broadcast(&p.wake_);
        const int n = p.workers_;
        pthread_mutex_unlock(&p.sleep_lock_);
        for (int i = 0; i < n; ++i) pthread_join(p.threads_created_[i], nullptr);
    }

private:

    // A job's tasks are split into one contiguous block per participant, in order
    // (the owner is participant 0, worker `id` is id + 1): each claims its own block
    // from the front and, once that is empty, steals from the back of the others'.
    // Consecutive layers split their rows alike, so a thread mostly reads activation
    // rows it wrote itself. With one shared counter the rows alternated between the
    // threads and half of each layer's input came from the other core's cache:
    // synth 1.0/224 fp32 at 2 threads 5.65 -> 4.39 ms, its 14x14 pointwise layers
    // 0.43 -> 0.33 ms (`mncc bench --threads 2`, 2026-11-29).
    //
    // cursor_[p] = job generation << 32 | next << 16 | end: block p's unclaimed tasks
    // are [next, end). The generation is in the word that is claimed from: a thread
    // still looking at a finished job cannot claim a task of the next one while the
    // owner writes that job's fields.
    int parallel(void* uc, halide_task_t f, int min, int size, uint8_t* closure) {
        fn_.store(f, std::memory_order_relaxed);
        uc_.store(uc, std::memory_order_relaxed);
        closure_.store(closure, std::memory_order_relaxed);
        min_.store(min, std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        status_.store(0, std::memory_order_relaxed);
        const int n = active_.load(std::memory_order_relaxed) + 1;
        const uint64_t gen = static_cast<uint32_t>(job_.load(std::memory_order_relaxed) + 1);
        for (int p = 0; p < n; ++p) {
            const uint64_t lo = static_cast<uint64_t>(size) * p / n, hi = static_cast<uint64_t>(size) * (p + 1) / n;
            cursor_[p].word.store(gen << 32 | lo << 16 | hi, std::memory_order_relaxed);
        }
        participants_.store(n, std::memory_order_relaxed);
        job_.store(static_cast<uint32_t>(gen), std::memory_order_release);
        owner_in_task_ = true;
        work(0, static_cast<uint32_t>(gen));
        owner_in_task_ = false;
        for (unsigned step = 0; done_.load(std::memory_order_acquire) < size; ++step) spin_wait_step(step);
        return status_.load(std::memory_order_relaxed);
    }

    // Participant p runs tasks of job `gen` until none is left: its own block first,
    // then the others' (p beyond the job's participants only steals).
    void work(int p, uint32_t gen) {
        const int n = participants_.load(std::memory_order_relaxed);
        for (int k = 0; k < n; ++k)
            while (run_one((p + k) % n, k == 0 && p < n, gen)) {
            }
    }

    // Claims one task of job `gen` from block q (its front, or else its back) and runs
    // it; false when the block is empty or the job is over.
    bool run_one(int q, bool front, uint32_t gen) {
        uint64_t s = cursor_[q].word.load(std::memory_order_acquire);
        for (;;) {
            const int next = static_cast<int>((s >> 16) & 0xFFFF), end = static_cast<int>(s & 0xFFFF);
            if ((s >> 32) != gen || next >= end) return false;
            // Fields of job `gen` (published before its cursors, released with job_): a
            // successful claim proves the job unfinished, so they were not yet replaced.
            const halide_task_t f = fn_.load(std::memory_order_relaxed);
            void* uc = uc_.load(std::memory_order_relaxed);
            uint8_t* closure = closure_.load(std::memory_order_relaxed);
            const int min = min_.load(std::memory_order_relaxed);
            const int i = front ? next : end - 1;
            const uint64_t claimed = front ? s + (uint64_t(1) << 16) : s - 1;
            if (!cursor_[q].word.compare_exchange_weak(s, claimed, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            const int r = f(uc, min + i, closure);
            if (r != 0) {
                int expected = 0;
                status_.compare_exchange_strong(expected, r, std::memory_order_relaxed);
            }
            done_.fetch_add(1, std::memory_order_release);
            return true;
        }
    }

    static int64_t now_ns() {
        timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
    }

    static int default_threads() {
        const char* env = getenv("HL_NUM_THREADS");
        const long n = env ? strtol(env, nullptr, 10) : sysconf(_SC_NPROCESSORS_ONLN);
        return n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : static_cast<int>(n);
    }

    // Worker `id` takes part while a run is in progress and id < active_ (a run
    // with fewer threads than workers exist leaves the others asleep).
    bool awake(int id) const {
        return running_.load(std::memory_order_acquire) && id < active_.load(std::memory_order_relaxed);
    }
    bool stopping() const { return shutdown_.load(std::memory_order_acquire); }

    static void* worker_main(void* arg) {
        Pool& p = *static_cast<WorkerArg*>(arg)->pool;
        const int id = static_cast<WorkerArg*>(arg)->id;
        // Not the job in flight when the thread starts: a new worker whose block the
        // others do not steal (its tasks waiting on each other) must take its part.
        uint32_t seen = static_cast<WorkerArg*>(arg)->seen;
        while (!p.stopping()) {
            // Spin for the next job while a run is in progress, and for kGraceNs after
            // one (back-to-back calls find the workers awake); then sleep.
            int64_t idle_since = -1;
            for (unsigned spins = 0; !p.stopping() && (p.job_.load(std::memory_order_acquire) == seen || !p.awake(id)); ++spins) {
                if (p.awake(id)) {
                    idle_since = -1;
                } else if (idle_since < 0) {
                    idle_since = now_ns();
                } else if (spins % 64 == 0 && now_ns() - idle_since > kGraceNs) {
                    pthread_mutex_lock(&p.sleep_lock_);
                    while (!p.awake(id) && !p.stopping()) pthread_cond_wait(&p.wake_, &p.sleep_lock_);
                    pthread_mutex_unlock(&p.sleep_lock_);
                    idle_since = -1;
                }
                spin_wait_step(spins);
            }
            if (!p.stopping()) {
                seen = p.job_.load(std::memory_order_acquire);
                p.work(id + 1, seen);
            }
        }
        return nullptr;
    }

    std::atomic<int> threads_{0};   // 0: not set yet
    std::atomic<int> active_{0};    // workers taking part in runs
    std::atomic<bool> running_{false}, shutdown_{false}, has_owner_{false};
    std::atomic<pthread_t> owner_{pthread_t()};
    bool owner_in_task_ = false;    // touched by the owner thread only
    struct alignas(64) Cursor {
        std::atomic<uint64_t> word{0};
    };
    std::atomic<uint32_t> job_{0};  // generation of the latest job
    std::atomic<int> participants_{0};
    Cursor cursor_[kMaxThreads];
    std::atomic<halide_task_t> fn_{nullptr};
    std::atomic<void*> uc_{nullptr};
    std::atomic<uint8_t*> closure_{nullptr};
    std::atomic<int> min_{0}, done_{0}, status_{0};
    pthread_mutex_t owner_lock_ = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_t sleep_lock_ = PTHREAD_MUTEX_INITIALIZER;  // guards workers_ and the sleeping
    pthread_cond_t wake_ = PTHREAD_COND_INITIALIZER;
    int workers_ = 0;               // created (owner thread, under sleep_lock_)
    pthread_t threads_created_[kMaxThreads] = {};
    WorkerArg worker_args_[kMaxThreads] = {};
};

static_assert(std::is_trivially_destructible<Pool>::value, "no exit-time destructor for the pool");

__attribute__((destructor)) void stop_pool_workers() { Pool::at_exit(); }

}  // namespace
}  // namespace mncc_rt

#endif  // MNCC_THREAD_POOL_H_
