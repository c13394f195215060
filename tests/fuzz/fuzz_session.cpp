// Session files (the app's File ▸ Open session and the autosave it reads at start, docs/sessions.md):
// WorkspaceState::openSession on the bytes — the size cap, JSON, the document's validation, then the
// workspace state's own restore (evaluation rows, training runs with their base64 curves, models by
// folder). The panels' objects are the widgets' (ui/, Qt Widgets) and are left to the UI tests.
// Outcomes: openSession refuses with a message (never an empty one), or the session restores.
// Invariant: a restored session saves, and what it saved opens again and saves the same bytes (save ∘
// open is a fixed point from the first save on; the first open may drop what it names as damaged, and
// with no panels here the panels' objects are not kept).
// Built with the Qt app only (EMBEDLAB_BUILD_UI): the `asan` preset, not CI's engine-only one.
#include "fuzz_common.h"

#include "app/bridge/job_runner.h"
#include "app/state/workspace_state.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>

using namespace embedlab;

namespace {

// Opens `path` in a fresh workspace and waits until it has restored. Returns the saved document (its
// time stamp removed), or an empty object when the session was refused (`refused` set).
QJsonObject openAndSave(const QString& path, bool* refused) {
    static JobRunner& runner = *new JobRunner;  // one for the process: its engine threads start once
    WorkspaceState ws(&runner);
    bool restored = false;
    QObject::connect(&ws, &WorkspaceState::sessionRestored, [&restored](const SessionReport&) { restored = true; });
    QString error;
    if (!ws.openSession(path, &error)) {
        FUZZ_CHECK(!error.isEmpty());
        *refused = true;
        return {};
    }
    // Bounds inside libFuzzer's -timeout=20 for the two opens of an input (a model folder the input
    // names fails to load at once: none of the fixtures' paths is reachable from fuzzed text).
    QElapsedTimer t;
    t.start();
    while (!restored && t.elapsed() < 4000) QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    FUZZ_CHECK(restored);
    FUZZ_CHECK(runner.waitForIdle(4000));
    QJsonObject doc = ws.toSessionJson();
    doc.remove(QStringLiteral("saved"));
    *refused = false;
    return doc;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = fuzz::writeScratch("input.embedlab-session.json", data, size);
    fuzz::expectResultOrError([&] {
        bool refused = false;
        const QJsonObject first = openAndSave(QString::fromStdString(path), &refused);
        if (refused) return;
        const QByteArray bytes = QJsonDocument(first).toJson();
        const std::string again = fuzz::writeScratch("again.embedlab-session.json", reinterpret_cast<const uint8_t*>(bytes.data()),
                                                    static_cast<size_t>(bytes.size()));
        bool refusedAgain = false;
        const QJsonObject second = openAndSave(QString::fromStdString(again), &refusedAgain);
        FUZZ_CHECK(!refusedAgain);
        if (QJsonDocument(second).toJson(QJsonDocument::Compact) != QJsonDocument(first).toJson(QJsonDocument::Compact)) {
            std::fprintf(stderr, "first save:\n%s\nafter reopening:\n%s\n", QJsonDocument(first).toJson().constData(),
                         QJsonDocument(second).toJson().constData());
            FUZZ_CHECK(!"a saved session changed when it was opened and saved again");
        }
    });
    return 0;
}
