// Devices and threads: the CPU is always listed, the thread preference reaches LibTorch and the
// engine's at::parallel_for really runs on several threads (it silently runs on one when the engine
// is compiled without OpenMP, because ATen's parallel_for is a header template); large freed blocks
// are reused.
#include "core/error.h"
#include "device/blas_setup.h"
#include "device/device.h"

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

// keepLargeAllocationsInHeap: a freed 64 MB block is reused by the next one instead of being unmapped
// and mapped (and page-faulted, 4 KB at a time) again.
TEST(Allocator, LargeBlocksAreReusedWithoutPageFaults) {
    auto faultsAllocatingAndTouching = [] {
        rusage a{}, b{};
        ::getrusage(RUSAGE_SELF, &a);
        {
            at::Tensor t = at::empty({16 << 20}, at::kFloat);  // 64 MB
            t.fill_(1.f);
            EXPECT_EQ(t[12345].item<float>(), 1.f);
        }
        ::getrusage(RUSAGE_SELF, &b);
        return b.ru_minflt - a.ru_minflt;
    };
    faultsAllocatingAndTouching();
    const long byDefault = faultsAllocatingAndTouching();
    keepLargeAllocationsInHeap();
    faultsAllocatingAndTouching();  // the heap grows once
    const long kept = faultsAllocatingAndTouching();
    EXPECT_GT(byDefault, 8000) << "glibc's default maps blocks above 32 MB afresh every time";
    EXPECT_LT(kept, 1000);
}
