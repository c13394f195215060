#include "app/bridge/local_ranks.h"

#include "engine/core/error.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace embedlab {

QString embedlabCliProgram() {
    const QString env = qEnvironmentVariable("EMBEDLAB_CLI");
    if (!env.isEmpty()) {
        if (!QFileInfo(env).isExecutable())
            throw Error::runtime("EMBEDLAB_CLI names " + env.toStdString() + ", which is not an executable program");
        return env;
    }
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/embedlab-cli");
    if (QFileInfo(beside).isExecutable()) return beside;
    throw Error::runtime("embedlab-cli was not found beside the application (" + beside.toStdString() +
                         "); it runs the ranks of a data-parallel job — set EMBEDLAB_CLI to its path");
}

namespace {

struct RankState {
    double fraction = 0;
    QString message;
};

}  // namespace

QJsonObject runLocalRanks(const QStringList& command, int ranks, Progress& progress) {
    if (ranks < 1) throw Error::badInput("a job needs at least one rank");
    QProcess proc;
    proc.setProgram(embedlabCliProgram());
    QStringList args{QStringLiteral("launch"), QStringLiteral("--nproc"), QString::number(ranks), QStringLiteral("--grace"),
                     QStringLiteral("10"), QStringLiteral("--")};
    // The app watches its ranks itself (a rank that dies ends the launcher, which ends the others), and
    // a pause stops every process: a collective's timeout would count a long pause as a dead peer.
    args << command << QStringLiteral("--dist-timeout") << QStringLiteral("86400") << QStringLiteral("--progress")
         << QStringLiteral("json");
    proc.setArguments(args);
    proc.setReadChannel(QProcess::StandardError);
    // The launcher leads a process group of its own, which its ranks join: a pause stops the whole
    // group at once (SIGSTOP/SIGCONT to the group: no handler, no race between the two). It is killed
    // when the thread that started it (this job's) ends — the app killed, say, even while the group is
    // stopped (SIGKILL reaches a stopped process) — and its ranks die with it.
    proc.setChildProcessModifier([] {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    });
    proc.start();
    if (!proc.waitForStarted(10000))
        throw Error::runtime("cannot start " + proc.program().toStdString() + ": " + proc.errorString().toStdString());
    const qint64 pid = proc.processId();
    auto signalGroup = [pid](int sig) {
        if (pid > 0) ::kill(-static_cast<pid_t>(pid), sig);
    };
    // Pause and the scheduler's hold stop the group from a watcher of their own, so that they take
    // effect even while this thread waits inside report() (which waits while paused).
    std::atomic<bool> watching{true}, stopped{false};
    std::thread watcher([&] {
        while (watching.load()) {
            const bool want = !progress.cancelled() && (progress.paused() || progress.held());
            if (want != stopped.load()) {
                signalGroup(want ? SIGSTOP : SIGCONT);
                stopped.store(want);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    struct JoinWatcher {
        std::atomic<bool>& watching;
        std::thread& t;
        ~JoinWatcher() {
            watching.store(false);
            if (t.joinable()) t.join();
        }
    } joinWatcher{watching, watcher};

    std::vector<RankState> state(static_cast<size_t>(ranks));
    QByteArray err, out;
    QStringList errorLines, otherLines;
    bool cancelling = false, dirty = false;
    auto lastReport = std::chrono::steady_clock::now();
    auto handleLine = [&](const QByteArray& raw) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty()) return;
        QJsonParseError pe{};
        const QJsonDocument doc = line.startsWith('{') ? QJsonDocument::fromJson(line, &pe) : QJsonDocument();
        if (!doc.isObject()) {
            const QString text = QString::fromUtf8(line);
            if (text.startsWith(QLatin1String("error:"))) {
                const QString e = text.mid(6).trimmed();
                if (!errorLines.contains(e)) errorLines << e;  // every rank may say the same
            }
            else
                otherLines << text;
            if (otherLines.size() > 40) otherLines.removeFirst();
            return;
        }
        const QJsonObject o = doc.object();
        const int r = o.value(QLatin1String("rank")).toInt(0);
        if (r < 0 || r >= ranks) return;
        if (o.contains(QLatin1String("progress"))) {
            state[static_cast<size_t>(r)].fraction = o.value(QLatin1String("progress")).toDouble();
            state[static_cast<size_t>(r)].message = o.value(QLatin1String("message")).toString();
            dirty = true;
        } else if (o.contains(QLatin1String("metric"))) {
            if (r == 0)
                progress.metric(o.value(QLatin1String("metric")).toString().toStdString(), o.value(QLatin1String("step")).toDouble(),
                                o.value(QLatin1String("value")).toDouble());
        } else if (o.contains(QLatin1String("log"))) {
            if (r == 0) progress.log(o.value(QLatin1String("log")).toString().toStdString());
        }
    };
    auto drain = [&] {
        err += proc.readAllStandardError();
        out += proc.readAllStandardOutput();
        qsizetype at;
        while ((at = err.indexOf('\n')) >= 0) {
            handleLine(err.left(at));
            err.remove(0, at + 1);
        }
    };
    while (proc.state() != QProcess::NotRunning) {
        proc.waitForReadyRead(50);
        drain();
        if (progress.cancelled() && !cancelling) {
            cancelling = true;
            watching.store(false);
            watcher.join();
            signalGroup(SIGTERM);  // every rank and the launcher (which exits 130) …
            signalGroup(SIGCONT);  // … stopped ones too
            if (!proc.waitForFinished(15000)) {
                signalGroup(SIGKILL);
                proc.waitForFinished(5000);
            }
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (dirty && !stopped.load() && now - lastReport > std::chrono::milliseconds(100)) {
            dirty = false;
            lastReport = now;
            size_t slowest = 0;
            double hi = 0;
            for (size_t r = 0; r < state.size(); ++r) {
                if (state[r].fraction < state[slowest].fraction) slowest = r;
                hi = std::max(hi, state[r].fraction);
            }
            QString msg = state[0].message;
            msg += QStringLiteral(" · %1 ranks").arg(ranks);
            if (hi - state[slowest].fraction > 0.01)
                msg += QStringLiteral(" (rank %1 behind at %2%)").arg(slowest).arg(std::lround(100 * state[slowest].fraction));
            // report() waits while paused (the watcher has stopped the ranks meanwhile) and throws
            // when cancelled (the next pass ends the ranks).
            try {
                progress.report(std::min(1.0, state[slowest].fraction), msg.toStdString());
            } catch (const Error& e) {
                if (e.kind() != Error::Kind::Cancelled) throw;
            }
        }
    }
    // The group is gone once the launcher is reaped: no signal may follow (its number is free again).
    watching.store(false);
    if (watcher.joinable()) watcher.join();
    proc.waitForFinished(-1);
    drain();
    if (!err.isEmpty()) handleLine(err);
    if (cancelling || progress.cancelled()) throw Error::cancelled();
    const int code = proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -1;
    if (code != 0) {
        QString why = errorLines.isEmpty() ? otherLines.join(QLatin1Char('\n')).right(600) : errorLines.join(QLatin1String("; "));
        if (why.isEmpty()) why = QStringLiteral("no message");
        const std::string text = (code < 0 ? std::string("the ranks' launcher crashed: ")
                                           : "the job of " + std::to_string(ranks) + " ranks failed (exit " + std::to_string(code) + "): ") +
                                 why.toStdString();
        if (code == 2 || code == 3) throw Error::badInput(text);
        throw Error::runtime(text);
    }
    const QList<QByteArray> lines = out.trimmed().split('\n');
    const QJsonDocument result = lines.isEmpty() ? QJsonDocument() : QJsonDocument::fromJson(lines.last());
    if (!result.isObject())
        throw Error::runtime("the job of " + std::to_string(ranks) + " ranks ended without its result on stdout");
    return result.object();
}

}  // namespace embedlab
