// The run-time ISA level of the hand-written kernels: detection, the EMBEDLAB_CPU_ISA ceiling (the
// CTest variants engine.*.isa-avx2 / isa-portable run this binary under it) and setCpuIsaLimit.
#include "engine/core/cpu_isa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

using namespace embedlab;

TEST(CpuIsa, NamesParseBack) {
    for (CpuIsa isa : {CpuIsa::Portable, CpuIsa::Avx2, CpuIsa::Avx512}) {
        auto parsed = parseCpuIsa(cpuIsaName(isa));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, isa);
    }
    EXPECT_FALSE(parseCpuIsa("sse4").has_value());
    EXPECT_FALSE(parseCpuIsa("").has_value());
    EXPECT_FALSE(parseCpuIsa(nullptr).has_value());
}

TEST(CpuIsa, EnvironmentCeilingHolds) {
    const char* env = std::getenv("EMBEDLAB_CPU_ISA");
    auto cap = parseCpuIsa(env);
    if (!cap) GTEST_SKIP() << "EMBEDLAB_CPU_ISA not set";
    EXPECT_LE(static_cast<int>(detectedCpuIsa()), static_cast<int>(*cap));
    EXPECT_LE(static_cast<int>(cpuIsa()), static_cast<int>(*cap));
    if (*cap == CpuIsa::Portable) {
        EXPECT_EQ(cpuIsa(), CpuIsa::Portable);
    }
}

TEST(CpuIsa, LimitLowersButNeverRaises) {
    const CpuIsa hw = detectedCpuIsa();
    for (CpuIsa limit : {CpuIsa::Portable, CpuIsa::Avx2, CpuIsa::Avx512}) {
        setCpuIsaLimit(limit);
        EXPECT_EQ(static_cast<int>(cpuIsa()), std::min(static_cast<int>(hw), static_cast<int>(limit)));
    }
    setCpuIsaLimit(CpuIsa::Avx512);
    EXPECT_EQ(cpuIsa(), hw);
}
