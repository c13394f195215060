#include "engine/dist/process_group.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace embedlab {

namespace {

std::string trimmed(std::string s) {
    // c10 errors carry a backtrace after the first line: a message keeps the first line.
    const auto nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    return s;
}

std::string whatOf(const std::exception& e) {
    if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return trimmed(c->what_without_backtrace());
    return trimmed(e.what());
}

int parseIntVar(const char* name, const char* value, int lo, int hi) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi)
        throw Error::badInput(std::string(name) + "=" + value + ": expected a whole number from " + std::to_string(lo) +
                              " to " + std::to_string(hi));
    return static_cast<int>(v);
}

c10d::ReduceOp reduceOp(Collective::Op op) {
    switch (op) {
    case Collective::Op::Min: return c10d::ReduceOp::MIN;
    case Collective::Op::Max: return c10d::ReduceOp::MAX;
    case Collective::Op::Sum: break;
    }
    return c10d::ReduceOp::SUM;
}

class C10dCollective final : public Collective {
public:
    C10dCollective(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::ProcessGroup> group, int rank, int world,
                   double timeout)
        : store_(std::move(store)), group_(std::move(group)), rank_(rank), world_(world), timeout_(timeout) {}

    int rank() const override { return rank_; }
    int worldSize() const override { return world_; }

    void allReduce(at::Tensor& tensor, Op op) override {
        std::vector<at::Tensor> v{tensor};
        c10d::AllreduceOptions o;
        o.reduceOp = reduceOp(op);
        run("all-reduce", [&] { group_->allreduce(v, o)->wait(); });
    }
    void send(const at::Tensor& tensor, int to) override {
        std::vector<at::Tensor> v{tensor};
        run("send to rank " + std::to_string(to), [&] { group_->send(v, to, 0)->wait(); });
    }
    void recv(at::Tensor& tensor, int from) override {
        std::vector<at::Tensor> v{tensor};
        run("receive from rank " + std::to_string(from), [&] { group_->recv(v, from, 0)->wait(); });
    }
    void barrier() override {
        run("barrier", [&] { group_->barrier()->wait(); });
    }

private:
    template <class F>
    void run(const std::string& what, F&& f) {
        try {
            f();
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            throw Error::runtime("rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what +
                                 " failed — another rank died or did not answer within " + std::to_string(int(timeout_)) +
                                 " s (" + whatOf(e) + ")");
        }
    }

    c10::intrusive_ptr<c10d::Store> store_;  // rank 0's hosts the TCPStore server
    c10::intrusive_ptr<c10d::ProcessGroup> group_;
    int rank_, world_;
    double timeout_;
};

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string stringOf(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

}  // namespace

std::optional<DistOptions> distOptionsFromEnvironment() {
    const char* rank = std::getenv("RANK");
    const char* world = std::getenv("WORLD_SIZE");
    if (!rank && !world) return std::nullopt;
    if (!rank || !world)
        throw Error::badInput(std::string("torchrun's variables are incomplete: ") + (rank ? "WORLD_SIZE" : "RANK") +
                              " is not set (set both RANK and WORLD_SIZE, or neither)");
    DistOptions o;
    o.worldSize = parseIntVar("WORLD_SIZE", world, 1, 65536);
    o.rank = parseIntVar("RANK", rank, 0, o.worldSize - 1);
    o.localRank = o.rank;
    if (const char* l = std::getenv("LOCAL_RANK")) o.localRank = parseIntVar("LOCAL_RANK", l, 0, 65535);
    if (const char* a = std::getenv("MASTER_ADDR"); a && *a) o.masterAddr = a;
    if (const char* p = std::getenv("MASTER_PORT")) o.masterPort = parseIntVar("MASTER_PORT", p, 1, 65535);
    if (const char* t = std::getenv("EMBEDLAB_DIST_TIMEOUT")) o.timeoutSeconds = parseIntVar("EMBEDLAB_DIST_TIMEOUT", t, 1, 86400);
    return o;
}

void parseMasterAddress(const std::string& text, DistOptions& o) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw Error::badInput("--master " + text + ": expected ADDR:PORT (e.g. 127.0.0.1:29500)");
    o.masterAddr = text.substr(0, colon);
    o.masterPort = parseIntVar("--master's port", text.c_str() + colon + 1, 1, 65535);
}

std::unique_ptr<Collective> joinProcessGroup(const DistOptions& o) {
    if (o.worldSize < 1) throw Error::badInput("the world size must be at least 1");
    if (o.rank < 0 || o.rank >= o.worldSize)
        throw Error::badInput("rank " + std::to_string(o.rank) + " is outside 0 … " + std::to_string(o.worldSize - 1) +
                              " (world size " + std::to_string(o.worldSize) + ")");
    const bool cuda = o.device.rfind("cuda", 0) == 0;
    if (cuda)
        throw Error::runtime("data-parallel jobs on CUDA need c10d's NCCL process group, which this LibTorch was built "
                             "without; run the job on the CPU (--device cpu, Gloo) or with a CUDA build of LibTorch");
    // A peer that dies while this rank writes to it must be an error Gloo reports, not SIGPIPE's silent
    // exit (CPython ignores SIGPIPE for PyTorch; a C++ program has to say so).
    ::signal(SIGPIPE, SIG_IGN);
    const std::string where = o.masterAddr + ":" + std::to_string(o.masterPort);
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeoutSeconds * 1000.0));
    const std::string secs = std::to_string(static_cast<int64_t>(o.timeoutSeconds)) + " s";

    c10::intrusive_ptr<c10d::TCPStore> tcp;
    try {
        c10d::TCPStoreOptions so;
        so.port = static_cast<uint16_t>(o.masterPort);
        so.isServer = o.rank == 0;
        so.waitWorkers = false;  // the arrival of every rank is checked below, with a message
        so.timeout = timeout;
        tcp = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, so);
    } catch (const std::exception& e) {
        if (o.rank == 0)
            throw Error::runtime("rank 0 cannot host the rendezvous at " + where + " (" + whatOf(e) +
                                 "); is the port in use? Choose another with --master ADDR:PORT or MASTER_PORT");
        throw Error::runtime("rank " + std::to_string(o.rank) + " cannot reach the master at " + where + " within " + secs +
                             " (" + whatOf(e) + "); is rank 0 running, and is the address right?");
    }
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::PrefixStore>("embedlab", tcp);
    try {
        // Each rank number is claimed once: a second process with the same number stops here. Rank 0
        // claims before it sets the job's world size, so that a second rank 0 cannot change it.
        auto claim = [&] {
            if (store->add("rank/" + std::to_string(o.rank), 1) != 1)
                throw Error::runtime("rank " + std::to_string(o.rank) + " is already taken by another process of the job at " +
                                     where + "; give every process its own --rank (RANK)");
        };
        if (o.rank == 0) {
            claim();
            store->set("world_size", bytesOf(std::to_string(o.worldSize)));
        }
        // The master's world size is the job's: a rank that disagrees stops before any collective.
        const std::string theirs = stringOf(store->get("world_size"));
        if (theirs != std::to_string(o.worldSize))
            throw Error::runtime("rank " + std::to_string(o.rank) + " was started with world size " + std::to_string(o.worldSize) +
                                 ", but the master at " + where + " runs a job of world size " + theirs +
                                 "; start every rank with the same --world-size (WORLD_SIZE)");
        if (o.rank != 0) claim();
        std::vector<std::string> keys;
        for (int r = 0; r < o.worldSize; ++r) keys.push_back("rank/" + std::to_string(r));
        try {
            store->wait(keys, timeout);
        } catch (const std::exception&) {
            std::string missing;
            for (int r = 0; r < o.worldSize; ++r)
                if (!store->check({"rank/" + std::to_string(r)})) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
            throw Error::runtime("ranks " + (missing.empty() ? std::string("?") : missing) + " of " + std::to_string(o.worldSize) +
                                 " did not join the job at " + where + " within " + secs);
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error::runtime("rank " + std::to_string(o.rank) + ": the rendezvous at " + where + " failed (" + whatOf(e) +
                             "); did the master stop?");
    }
    try {
        auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
        // GLOO_SOCKET_IFNAME picks the interface (as in PyTorch); else loopback jobs stay on loopback
        // and others use the interface that reaches this host's name.
        const bool loopback = o.masterAddr == "127.0.0.1" || o.masterAddr == "localhost" || o.masterAddr == "::1";
        const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
        if (ifname && *ifname) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (loopback) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store), o.rank,
                                                                 o.worldSize, opts);
        return std::make_unique<C10dCollective>(store, group, o.rank, o.worldSize, o.timeoutSeconds);
    } catch (const std::exception& e) {
        throw Error::runtime("rank " + std::to_string(o.rank) + ": connecting the Gloo process group of the job at " + where +
                             " failed (" + whatOf(e) + ")");
    }
}

}  // namespace embedlab
