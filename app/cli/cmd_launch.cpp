// `embedlab-cli launch --nproc N -- COMMAND ...`: starts N local ranks of a data-parallel job, as
// torchrun does on one machine: each child is this program running COMMAND with RANK, LOCAL_RANK,
// WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (engine/dist/process_group.h reads them). The children
// share the cores: each gets --threads cores/N unless COMMAND gives --threads. Rank 0 prints the
// command's JSON; the launcher prints nothing on stdout itself.
//
// Faults: when a rank fails, the others fail by themselves (their collectives lose the peer); any
// still running after --grace seconds are killed. The launcher exits with the first failing rank's
// code (a rank killed by a signal: 4), and says which rank failed. SIGINT/SIGTERM go to every rank
// (the launcher then exits 130); a rank dies with the launcher (PR_SET_PDEATHSIG).
//
// Pausing: the ranks stay in the launcher's process group, so SIGSTOP / SIGCONT to the group (a shell's
// Ctrl-Z and fg; `kill -STOP -- -PGID`; the app's Training view, which starts the launcher as a group
// leader) stop and continue the whole job at once. A pause longer than the ranks' collective timeout
// (--dist-timeout) can end the job when it goes on.
#include "app/cli/cli.h"

#include "engine/core/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace embedlab::cli {
namespace {

std::vector<pid_t> g_children;
volatile sig_atomic_t g_interrupted = 0;

void forwardSignal(int sig) {
    g_interrupted = 1;
    for (pid_t p : g_children)
        if (p > 0) ::kill(p, sig);
}


// The cores this process may run on (its affinity mask: a cgroup or taskset limit counts).
long usableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
}

// A port the kernel calls free on 127.0.0.1 (bound, read, released: rank 0 binds it again at once).
int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error::runtime("launch: cannot open a socket to find a free port: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        throw Error::runtime("launch: cannot find a free port on 127.0.0.1: " + why);
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

int exitCodeOf(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 4;
}

int runLaunch(Args& a) {
    const long long n = a.getInt("nproc", 2);
    if (n < 1 || n > 256) throw UsageError("--nproc must be between 1 and 256");
    if (a.rest.empty()) throw UsageError("launch needs the command after --, e.g. launch --nproc 2 -- train lm …");
    const std::string& sub = a.rest[0];
    const std::string objective = a.rest.size() > 1 ? a.rest[1] : "";
    if (!(sub == "embed" || (sub == "train" && (objective == "lm" || objective == "mlm"))))
        throw UsageError("launch runs train lm, train mlm or embed as N ranks (not '" + sub + (sub == "train" ? " " + objective : "") +
                         "')");
    for (const std::string& arg : a.rest)
        for (const char* f : {"--world-size", "--rank", "--master"})
            if (arg == f || arg.rfind(std::string(f) + "=", 0) == 0)
                throw UsageError("launch sets the ranks itself: leave " + std::string(f) + " out of the command");
    const double grace = a.getDouble("grace", 30.0);
    if (!(grace >= 0 && grace <= 3600)) throw UsageError("--grace must be between 0 and 3600 seconds");
    const std::string addr = a.get("master-addr", "127.0.0.1");
    const int port = a.has("master-port") ? static_cast<int>(a.getInt("master-port", 29500)) : freeLoopbackPort();
    if (port < 1 || port > 65535) throw UsageError("--master-port must be between 1 and 65535");

    std::vector<std::string> args = a.rest;
    const bool hasThreads = std::any_of(args.begin(), args.end(), [](const std::string& s) {
        return s == "--threads" || s.rfind("--threads=", 0) == 0;
    });
    if (!hasThreads) {
        const long cores = usableCores();
        args.push_back("--threads");
        args.push_back(std::to_string(std::max<long long>(1, cores / n)));
    }
    char self[4096];
    const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw Error::runtime("launch: cannot find this program (/proc/self/exe)");
    self[len] = '\0';

    // Everything a child needs is built before fork (a child only calls async-signal-safe functions
    // until execve): argv, and the environment with the rank's variables.
    std::vector<char*> argv;
    argv.push_back(self);
    for (std::string& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<std::string> baseEnv;
    for (char** e = environ; *e; ++e) {
        const std::string kv = *e;
        const std::string key = kv.substr(0, kv.find('='));
        if (key != "RANK" && key != "LOCAL_RANK" && key != "WORLD_SIZE" && key != "MASTER_ADDR" && key != "MASTER_PORT")
            baseEnv.push_back(kv);
    }
    std::vector<std::vector<std::string>> envs(static_cast<size_t>(n), baseEnv);
    std::vector<std::vector<char*>> envps(static_cast<size_t>(n));
    for (long long r = 0; r < n; ++r) {
        auto& e = envs[static_cast<size_t>(r)];
        e.push_back("RANK=" + std::to_string(r));
        e.push_back("LOCAL_RANK=" + std::to_string(r));
        e.push_back("WORLD_SIZE=" + std::to_string(n));
        e.push_back("MASTER_ADDR=" + addr);
        e.push_back("MASTER_PORT=" + std::to_string(port));
        for (std::string& kv : e) envps[static_cast<size_t>(r)].push_back(kv.data());
        envps[static_cast<size_t>(r)].push_back(nullptr);
    }

    // The list the handler reads is sized before the handler exists (a signal never sees it reallocated).
    g_children.assign(static_cast<size_t>(n), -1);
    struct sigaction sa {};
    sa.sa_handler = forwardSignal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t launcher = ::getpid();
    for (long long r = 0; r < n; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            const std::string why = std::strerror(errno);
            forwardSignal(SIGTERM);
            throw Error::runtime("launch: cannot start rank " + std::to_string(r) + ": " + why);
        }
        if (pid == 0) {
            // A rank dies with the launcher (killed or not), never orphaned.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != launcher) ::_exit(4);
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            ::sigaction(SIGINT, &dfl, nullptr);
            ::sigaction(SIGTERM, &dfl, nullptr);
            ::execve(self, argv.data(), envps[static_cast<size_t>(r)].data());
            static const char msg[] = "error: launch: cannot run this program again (execve failed)\n";
            ssize_t ignored = ::write(2, msg, sizeof msg - 1);
            (void)ignored;
            ::_exit(4);
        }
        g_children[static_cast<size_t>(r)] = pid;
    }
    std::fprintf(stderr, "launch: %lld ranks on %s:%d\n", n, addr.c_str(), port);

    int result = 0;
    size_t running = g_children.size();
    std::chrono::steady_clock::time_point failedAt;
    bool failed = false, killed = false;
    while (running > 0) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, failed && !killed ? WNOHANG : 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pid == 0) {  // a rank failed: give the others --grace seconds to fail by themselves
            if (std::chrono::duration<double>(std::chrono::steady_clock::now() - failedAt).count() >= grace) {
                for (pid_t p : g_children)
                    if (p > 0) ::kill(p, SIGKILL);
                killed = true;
                std::fprintf(stderr, "launch: ranks still running %.0f s after the failure were killed\n", grace);
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            continue;
        }
        const auto it = std::find(g_children.begin(), g_children.end(), pid);
        if (it == g_children.end()) continue;
        const long rank = it - g_children.begin();
        *it = -1;
        --running;
        const int code = exitCodeOf(status);
        if (code != 0 && !failed) {
            failed = true;
            failedAt = std::chrono::steady_clock::now();
            result = code;
            if (WIFSIGNALED(status))
                std::fprintf(stderr, "error: launch: rank %ld was killed by signal %d\n", rank, WTERMSIG(status));
            else
                std::fprintf(stderr, "error: launch: rank %ld failed (exit %d)\n", rank, code);
        }
    }
    g_children.clear();
    if (g_interrupted) {
        std::fprintf(stderr, "launch: interrupted\n");
        return 130;
    }
    return result;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"launch",
                             "launch --nproc N [--master-port P] [--master-addr 127.0.0.1] [--grace 30] -- (train|embed) ...\n"
                             "  starts N local ranks of a data-parallel job (torchrun's variables set for each; --threads\n"
                             "  cores/N unless given); rank 0 prints the command's result",
                             {},
                             {"nproc", "master-port", "master-addr", "grace"},
                             runLaunch});

}  // namespace embedlab::cli
