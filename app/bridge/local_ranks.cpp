#include "app/bridge/local_ranks.h"

#include "engine/core/error.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>

#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
    args << command << QStringLiteral("--progress") << QStringLiteral("json");
    proc.setArguments(args);
    proc.setReadChannel(QProcess::StandardError);
    // The launcher ends with the thread that started it (this job's), so a job the app abandons — the
    // app killed, say — leaves no ranks behind; the launcher's ranks die with the launcher.
    proc.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    proc.start();
    if (!proc.waitForStarted(10000))
        throw Error::runtime("cannot start " + proc.program().toStdString() + ": " + proc.errorString().toStdString());
    const qint64 pid = proc.processId();

    std::vector<RankState> state(static_cast<size_t>(ranks));
    QByteArray err, out;
    QStringList errorLines, otherLines;
    bool stopped = false, cancelling = false, dirty = false;
    auto lastReport = std::chrono::steady_clock::now();
    auto handleLine = [&](const QByteArray& raw) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty()) return;
        QJsonParseError pe{};
        const QJsonDocument doc = line.startsWith('{') ? QJsonDocument::fromJson(line, &pe) : QJsonDocument();
        if (!doc.isObject()) {
            const QString text = QString::fromUtf8(line);
            if (text.startsWith(QLatin1String("error:")))
                errorLines << text.mid(6).trimmed();
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
    auto signalLauncher = [&](int sig) {
        if (pid > 0) ::kill(static_cast<pid_t>(pid), sig);
    };

    while (proc.state() != QProcess::NotRunning) {
        proc.waitForReadyRead(50);
        drain();
        if (progress.cancelled() && !cancelling) {
            cancelling = true;
            if (stopped) signalLauncher(SIGCONT);
            stopped = false;
            proc.terminate();  // SIGTERM: the launcher passes it to every rank
            if (!proc.waitForFinished(15000)) {
                proc.kill();
                proc.waitForFinished(5000);
            }
            break;
        }
        const bool wantStop = progress.paused() || progress.held();
        if (wantStop != stopped) {
            signalLauncher(wantStop ? SIGTSTP : SIGCONT);
            stopped = wantStop;
        }
        const auto now = std::chrono::steady_clock::now();
        if (dirty && !stopped && now - lastReport > std::chrono::milliseconds(100)) {
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
            // report() waits while paused and throws when cancelled: both were handled just above, so
            // it returns at once unless a pause arrives in between (then the ranks run on until the
            // next pass stops them — at most one pass late).
            try {
                progress.report(std::min(1.0, state[slowest].fraction), msg.toStdString());
            } catch (const Error& e) {
                if (e.kind() != Error::Kind::Cancelled) throw;
            }
        }
    }
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
