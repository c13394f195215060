// Devices and threads: the CPU is always listed, the thread preference reaches LibTorch and the
// engine's at::parallel_for really runs on several threads (it silently runs on one when the engine
// is compiled without OpenMP, because ATen's parallel_for is a header template); large freed blocks
// are reused.
#include "engine/core/error.h"
#include "engine/device/blas_setup.h"
#include "engine/device/device.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

using namespace embedlab;

TEST(Devices, CpuIsListedAndResolvable) {
    const auto devices = listDevices();
    ASSERT_FALSE(devices.empty());
    EXPECT_EQ(devices.front().name, "cpu");
    EXPECT_TRUE(devices.front().available);
    EXPECT_EQ(resolveDevice("cpu"), "cpu");
    EXPECT_THROW(resolveDevice("tpu"), Error);
    try {
        resolveDevice("cuda:x");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
    if (bestDevice() == "cpu") {
        try {
            resolveDevice("cuda:7");
            FAIL();
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::Runtime);
            EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos);
        }
    }
}

TEST(Threads, PreferenceReachesLibTorch) {
    EXPECT_EQ(setThreadCount(1), 1);
    EXPECT_EQ(threadCount(), 1);
    EXPECT_EQ(setThreadCount(0), hardwareThreads());
}

TEST(Threads, ParallelForUsesSeveralThreads) {
    if (hardwareThreads() < 2) GTEST_SKIP() << "one hardware thread";
    setThreadCount(2);
    std::set<std::thread::id> ids;
    std::mutex m;
    at::parallel_for(0, 64, 1, [&](int64_t, int64_t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::lock_guard<std::mutex> lock(m);
        ids.insert(std::this_thread::get_id());
    });
    EXPECT_GE(ids.size(), 2u);
    setThreadCount(0);
}

// keepLargeAllocationsInHeap: a block freed by one batch serves the next, smaller one (sorted batches
// shrink) instead of being unmapped and a new one mapped and page-faulted in, 4 KB at a time.
TEST(Allocator, LargeBlocksAreReusedWithoutPageFaults) {
#ifdef EMBEDLAB_SANITIZED
    GTEST_SKIP() << "AddressSanitizer replaces glibc's malloc, whose heap setting this test measures";
#endif
    auto faultsAllocatingAndTouching = [](int64_t megabytes) {
        rusage a{}, b{};
        ::getrusage(RUSAGE_SELF, &a);
        {
            at::Tensor t = at::empty({megabytes << 18}, at::kFloat);
            t.fill_(1.f);
            EXPECT_EQ(t.data_ptr<float>()[12345], 1.f);  // (no allocation while t lives)
        }
        ::getrusage(RUSAGE_SELF, &b);
        return b.ru_minflt - a.ru_minflt;
    };
    faultsAllocatingAndTouching(64);
    const long byDefault = faultsAllocatingAndTouching(48);
    keepLargeAllocationsInHeap();
    faultsAllocatingAndTouching(64);
    const long kept = faultsAllocatingAndTouching(48);
    EXPECT_GT(byDefault, 8000) << "glibc's default maps blocks above 32 MB afresh every time";
    EXPECT_LT(kept, 1000);
}
