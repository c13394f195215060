// Fault tests for the files long jobs write (AtomicFile, writeFileAtomic): a disk that fills up, a
// writer killed with SIGKILL mid-write. In both the previous file stays as it was and nothing is left
// behind; the error names the file and the system's reason. The disk-full test mounts a small tmpfs
// and needs root (CI runs as root); elsewhere it is skipped and says so.
#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

std::string freshDir(const std::string& name) {
    const std::string d = test::tmpDir() + "/faults_" + name + "_" + std::to_string(::getpid());
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::vector<std::string> listDir(const std::string& d) {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(d)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
}

}  // namespace

TEST(Faults, DiskFullKeepsThePreviousFileAndLeavesNothing) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    const std::string d = freshDir("diskfull");
    if (::mount("tmpfs", d.c_str(), "tmpfs", 0, "size=64k") != 0)
        GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    const std::string path = d + "/out.npy";
    writeFileAtomic(path, "the previous result");
    try {
        writeFileAtomic(path, std::string(1 << 20, 'x'));  // 1 MB into 64 KB
        ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Runtime);
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find("No space left on device"), std::string::npos) << msg;
    }
    EXPECT_EQ(readFile(path), "the previous result");
    EXPECT_EQ(listDir(d), std::vector<std::string>{"out.npy"});
    // The same with AtomicFile written piece by piece, as the embed and checkpoint writers do.
    {
        bool threw = false;
        try {
            AtomicFile f(path);
            for (int i = 0; i < 64; ++i) f.write(std::string(16 << 10, 'y'));
            f.commit();
        } catch (const Error& e) {
            threw = true;
            EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
        }
        EXPECT_TRUE(threw);
    }
    EXPECT_EQ(readFile(path), "the previous result");
    EXPECT_EQ(listDir(d), std::vector<std::string>{"out.npy"});
    ASSERT_EQ(::umount2(d.c_str(), MNT_DETACH), 0);
}

TEST(Faults, WriterKilledMidWriteKeepsThePreviousFile) {
    const std::string d = freshDir("killed");
    const std::string path = d + "/checkpoint.bin";
    writeFileAtomic(path, "checkpoint 1");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A writer that never finishes: 4 KB a millisecond until it is killed.
        try {
            AtomicFile f(path);
            const std::string chunk(4096, 'z');
            for (;;) {
                f.write(chunk);
                ::usleep(1000);
            }
        } catch (...) {
        }
        ::_exit(3);
    }
    // Wait until the child's temporary file holds data, then kill it outright.
    std::string tmp;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& n : listDir(d))
            if (n.find(".tmp-" + std::to_string(child) + "-") != std::string::npos &&
                fs::file_size(d + "/" + n) >= 64 * 1024)
                tmp = n;
        if (!tmp.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_FALSE(tmp.empty()) << "the child never wrote";
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    // The previous file is intact; the dead writer's temporary file is still there …
    EXPECT_EQ(readFile(path), "checkpoint 1");
    EXPECT_TRUE(fs::exists(d + "/" + tmp));
    // … until the next writer of that path removes it.
    writeFileAtomic(path, "checkpoint 2");
    EXPECT_EQ(readFile(path), "checkpoint 2");
    EXPECT_EQ(listDir(d), std::vector<std::string>{"checkpoint.bin"});
    // A live writer's temporary file is never touched.
    AtomicFile live(path);
    live.write("partial");
    writeFileAtomic(path, "checkpoint 3");
    EXPECT_EQ(listDir(d).size(), 2u);
    live.commit();
    EXPECT_EQ(readFile(path), "partial");
}

// Lines of any length cost bounded memory: readBoundedLine keeps at most maxBytes, cut back to a
// character boundary, reports the whole length, and reads on at the next line.
TEST(Faults, LongLinesAreReadInBoundedMemory) {
    std::string text = std::string(10000, 'a') + "ş" + std::string(5000, 'b') + "\r\n" + "kısa\r\n\nson";
    std::istringstream in(text);
    std::string line;
    uint64_t full = 0;
    ASSERT_TRUE(readBoundedLine(in, line, 10001, &full));  // the cut falls inside "ş" (2 bytes)
    EXPECT_EQ(line, std::string(10000, 'a'));
    EXPECT_EQ(full, 10000u + 2u + 5000u + 1u);  // the '\r' of a cut line is part of its length
    ASSERT_TRUE(readBoundedLine(in, line, 10001, &full));
    EXPECT_EQ(line, "kısa");
    EXPECT_EQ(full, 5u);
    ASSERT_TRUE(readBoundedLine(in, line, 10001, &full));
    EXPECT_EQ(line, "");
    ASSERT_TRUE(readBoundedLine(in, line, 10001, &full));
    EXPECT_EQ(line, "son");
    EXPECT_FALSE(readBoundedLine(in, line, 10001, &full));
    // The same lines as std::getline when nothing is cut.
    std::istringstream a("x\ny\n\nz"), b("x\ny\n\nz");
    std::string la, lb;
    while (std::getline(a, la)) {
        ASSERT_TRUE(readBoundedLine(b, lb, 1 << 20));
        EXPECT_EQ(la, lb);
    }
    EXPECT_FALSE(readBoundedLine(b, lb, 1 << 20));
}

namespace {

// This process's resident set now (VmRSS, bytes).
int64_t residentBytes() {
    std::ifstream f("/proc/self/status");
    std::string key;
    while (f >> key) {
        if (key == "VmRSS:") {
            int64_t kb = 0;
            f >> kb;
            return kb * 1024;
        }
        std::string rest;
        std::getline(f, rest);
    }
    return 0;
}

}  // namespace

TEST(Faults, CorpusReaderHoldsAtMostMaxLineBytesOfALine) {
    // A 200 MB line (with 2-byte ş, so cuts can fall inside a character) between two short lines:
    // the long line keeps its first maxLineBytes, cut at a character boundary, and is logged once;
    // the line after it is read; memory grows by far less than the line.
    const std::string d = freshDir("longline");
    const std::string path = d + "/one-line.txt";
    // EMBEDLAB_LOAD_LINE_MB sets the line's size (bench/run_load_bench.sh runs it with 1,024).
    const char* mb = std::getenv("EMBEDLAB_LOAD_LINE_MB");
    const size_t big = static_cast<size_t>(mb && std::atoi(mb) > 0 ? std::atoi(mb) : 200) << 20;
    {
        std::ofstream f(path, std::ios::binary);
        f << "önce\n";
        const std::string piece = std::string(1023, 'a') + "ş" + std::string(1023, 'b') + " ";  // 2,050 bytes
        for (size_t n = 0; n < big; n += piece.size()) f << piece;
        f << "\nsonra\n";
    }
    for (const int64_t cap : {int64_t{1} << 20, int64_t{1025}}) {
        std::vector<std::string> texts;
        std::vector<int64_t> lines;
        CorpusOptions o;
        o.maxLineBytes = cap;
        const int64_t before = residentBytes();
        int64_t peak = before;
        Progress progress;
        std::vector<std::string> logged;
        progress.setLogListener([&](const std::string& l) { logged.push_back(l); });
        const auto t0 = std::chrono::steady_clock::now();
        const CorpusInfo info = streamCorpus(
            path, o,
            [&](CorpusRecord&& r) {
                peak = std::max(peak, residentBytes());
                texts.push_back(r.text);
                lines.push_back(r.line);
            },
            progress);
        peak = std::max(peak, residentBytes());
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ASSERT_EQ(texts.size(), 3u);
        EXPECT_EQ(texts[0], "önce");
        EXPECT_EQ(texts[2], "sonra");
        EXPECT_EQ(lines[2], 3);
        EXPECT_LE(static_cast<int64_t>(texts[1].size()), cap);
        EXPECT_GE(static_cast<int64_t>(texts[1].size()), cap - 3);
        EXPECT_TRUE(isValidUtf8(texts[1])) << "the cut split a character";
        EXPECT_EQ(texts[1].substr(0, 10), std::string(10, 'a'));
        EXPECT_EQ(info.stats.truncatedLines, 1);
        EXPECT_EQ(info.stats.firstTruncatedLine, 2);
        ASSERT_EQ(logged.size(), 1u);
        EXPECT_NE(logged[0].find(":2: a line longer than"), std::string::npos) << logged[0];
        EXPECT_LT(peak - before, 64ll << 20) << "reading a " << (big >> 20) << " MB line grew the process by "
                                             << (peak - before) / (1 << 20) << " MB";
        std::printf("a %zu MB line, cap %lld bytes: %.1f s of reading, the process grew by %.1f MB\n", big >> 20,
                    static_cast<long long>(cap), seconds, static_cast<double>(peak - before) / (1 << 20));
    }
    // A .jsonl record is never cut: a 2 MiB line reads whole, a 70 MiB one is refused naming the line.
    {
        const std::string jl = d + "/long.jsonl";
        {
            std::ofstream f(jl);
            f << "{\"text\": \"kısa\"}\n{\"text\": \"" << std::string(2u << 20, 'x') << "\"}\n";
        }
        std::vector<size_t> sizes;
        streamCorpus(jl, CorpusOptions{}, [&](CorpusRecord&& r) { sizes.push_back(r.text.size()); });
        EXPECT_EQ(sizes, (std::vector<size_t>{5, 2u << 20}));  // "kısa": ı is two bytes
        {
            std::ofstream f(jl, std::ios::app);
            f << "{\"text\": \"" << std::string(70u << 20, 'y') << "\"}\n";
        }
        try {
            streamCorpus(jl, CorpusOptions{}, [](CorpusRecord&&) {});
            ADD_FAILURE() << "a 70 MiB JSONL line was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput);
            EXPECT_NE(std::string(e.what()).find("long.jsonl:3: a line longer than 64 MiB in a jsonl file"), std::string::npos)
                << e.what();
        }
    }
    // Paragraphs never grow past the bound either: a paragraph of many lines goes out in pieces.
    {
        const std::string para = d + "/paragraph.txt";
        std::ofstream f(para);
        for (int i = 0; i < 3000; ++i) f << "bir satır daha " << i << "\n";
        f.close();
        CorpusOptions o;
        o.unit = TextUnit::Paragraphs;
        o.maxLineBytes = 4096;
        int64_t n = 0, longest = 0;
        streamCorpus(para, o, [&](CorpusRecord&& r) {
            ++n;
            longest = std::max<int64_t>(longest, static_cast<int64_t>(r.text.size()));
        });
        EXPECT_GT(n, 10);
        EXPECT_LE(longest, 4096);
    }
    fs::remove_all(d);
}
