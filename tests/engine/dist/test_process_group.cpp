// engine/dist: joining a job on c10d and its collectives, with the ranks as threads of this process
// (each its own TCPStore client, rank 0 also the server, Gloo over 127.0.0.1). The expected values are
// computed here directly (sums, minima, the sent tensor); the CLI suite (tests/cli/distributed.sh)
// runs real processes.
#include "engine/core/error.h"
#include "engine/dist/collective.h"
#include "engine/dist/process_group.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace embedlab;

namespace {

int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

DistOptions opts(int rank, int world, int port, double timeout = 20) {
    DistOptions o;
    o.rank = rank;
    o.worldSize = world;
    o.masterPort = port;
    o.timeoutSeconds = timeout;
    return o;
}

// Runs body(rank, group) on `world` threads; returns each rank's error message ("" = none).
std::vector<std::string> onRanks(int world, const std::function<DistOptions(int)>& options,
                                 const std::function<void(int, Collective&)>& body) {
    std::vector<std::string> errors(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r)
        threads.emplace_back([&, r] {
            try {
                auto g = joinProcessGroup(options(r));
                body(r, *g);
            } catch (const std::exception& e) {
                errors[static_cast<size_t>(r)] = e.what();
            }
        });
    for (auto& t : threads) t.join();
    return errors;
}

}  // namespace

TEST(ProcessGroup, AllReduceSendRecvAndBarrier) {
    const int port = freePort(), W = 3;
    std::vector<at::Tensor> sums(W), mins(W), maxs(W), received(W);
    std::vector<double> scalars(W);
    const auto errors = onRanks(W, [&](int r) { return opts(r, W, port); }, [&](int r, Collective& g) {
        EXPECT_EQ(g.rank(), r);
        EXPECT_EQ(g.worldSize(), W);
        at::Tensor t = at::arange(5, at::kFloat) * float(r + 1);
        g.allReduce(t);
        sums[r] = t;
        at::Tensor lo = at::full({2}, double(10 - r), at::kDouble), hi = lo.clone();
        g.allReduce(lo, Collective::Op::Min);
        g.allReduce(hi, Collective::Op::Max);
        mins[r] = lo;
        maxs[r] = hi;
        scalars[r] = g.allReduceScalar(0.5 * r);
        // A ring of sends: r → r+1.
        at::Tensor out = at::full({2, 3}, float(100 + r));
        at::Tensor in = at::empty({2, 3}, at::kFloat);
        if (r % 2 == 0) {
            g.send(out, (r + 1) % W);
            g.recv(in, (r + W - 1) % W);
        } else {
            g.recv(in, (r + W - 1) % W);
            g.send(out, (r + 1) % W);
        }
        received[r] = in;
        g.barrier();
        g.requireSame(12345, "a constant");
    });
    for (int r = 0; r < W; ++r) {
        ASSERT_EQ(errors[r], "") << "rank " << r;
        EXPECT_TRUE(at::equal(sums[r], at::arange(5, at::kFloat) * 6.0f)) << r;  // 1+2+3
        EXPECT_TRUE(at::equal(mins[r], at::full({2}, 8.0, at::kDouble)));
        EXPECT_TRUE(at::equal(maxs[r], at::full({2}, 10.0, at::kDouble)));
        EXPECT_DOUBLE_EQ(scalars[r], 1.5);  // 0 + 0.5 + 1
        EXPECT_TRUE(at::equal(received[r], at::full({2, 3}, float(100 + (r + W - 1) % W))));
    }
}

TEST(ProcessGroup, RanksThatDisagreeAllStop) {
    const int port = freePort();
    const auto errors = onRanks(2, [&](int r) { return opts(r, 2, port); },
                                [](int r, Collective& g) { g.requireSame(r == 0 ? 1u : 2u, "the model's weights"); });
    for (const auto& e : errors) EXPECT_NE(e.find("disagree on the model's weights"), std::string::npos) << e;
}

TEST(ProcessGroup, AMissingRankTimesOutNamingIt) {
    const int port = freePort();
    const auto t0 = std::chrono::steady_clock::now();
    try {
        joinProcessGroup(opts(0, 3, port, 2));
        FAIL() << "joined without ranks 1 and 2";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Runtime);
        EXPECT_NE(std::string(e.what()).find("ranks 1, 2 of 3 did not join"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 15.0);
}

TEST(ProcessGroup, WorldSizeMismatchAndTakenRankAreRefused) {
    const int port = freePort();
    std::string mismatch, taken;
    std::atomic<bool> done{false};
    std::atomic<int> joined{0};
    // Rank 0 and rank 1 of a job of 2, kept joined (rank 0 hosts the store) until the checks are over.
    auto member = [&](int r) {
        return std::thread([&, r] {
            try {
                auto g = joinProcessGroup(opts(r, 2, port, 10));
                ++joined;
                while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            } catch (const std::exception&) {
            }
        });
    };
    std::thread master = member(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    try {
        joinProcessGroup(opts(1, 3, port, 4));
    } catch (const Error& e) {
        mismatch = e.what();
    }
    std::thread second = member(1);
    for (int i = 0; i < 500 && joined < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(joined.load(), 2);
    try {
        joinProcessGroup(opts(1, 2, port, 4));
    } catch (const Error& e) {
        taken = e.what();
    }
    done = true;
    master.join();
    second.join();
    EXPECT_NE(mismatch.find("world size 3"), std::string::npos) << mismatch;
    EXPECT_NE(mismatch.find("world size 2"), std::string::npos) << mismatch;
    EXPECT_NE(taken.find("already taken"), std::string::npos) << taken;
}

TEST(ProcessGroup, BadOptionsAndVariables) {
    EXPECT_THROW(joinProcessGroup(opts(2, 2, 29999)), Error);
    DistOptions o;
    EXPECT_THROW(parseMasterAddress("localhost", o), Error);
    EXPECT_THROW(parseMasterAddress("h:0", o), Error);
    parseMasterAddress("10.0.0.1:29501", o);
    EXPECT_EQ(o.masterAddr, "10.0.0.1");
    EXPECT_EQ(o.masterPort, 29501);
    ::unsetenv("RANK");
    ::unsetenv("WORLD_SIZE");
    EXPECT_FALSE(distOptionsFromEnvironment().has_value());
    ::setenv("RANK", "1", 1);
    EXPECT_THROW(distOptionsFromEnvironment(), Error);  // WORLD_SIZE missing
    ::setenv("WORLD_SIZE", "4", 1);
    ::setenv("MASTER_ADDR", "10.1.2.3", 1);
    ::setenv("MASTER_PORT", "1234", 1);
    auto e = distOptionsFromEnvironment();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->rank, 1);
    EXPECT_EQ(e->worldSize, 4);
    EXPECT_EQ(e->masterAddr, "10.1.2.3");
    EXPECT_EQ(e->masterPort, 1234);
    ::setenv("RANK", "4", 1);
    EXPECT_THROW(distOptionsFromEnvironment(), Error);  // outside 0..3
    for (const char* v : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
}
