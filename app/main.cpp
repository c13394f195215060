// embedlab — the desktop app.
//
//   embedlab [PATH ...]             open model folders, tokenizers, corpora or vectors
//   embedlab --screenshot FILE      render the main window offscreen to a PNG and exit
//   embedlab --self-test FILE.model SentencePiece + LibTorch in this process; prints JSON, exits
//   embedlab --session FILE         restore a saved session (docs/sessions.md)
//   embedlab --empty                neither the last session nor the default workspace
#include "app/bridge/job_runner.h"
#include "ui/mainwindow/main_window.h"
#include "ui/workspace/workspace.h"
#include "app/state/workspace_state.h"

#include "engine/core/error.h"
#include "engine/device/blas_setup.h"
#include "engine/tokenizers/interop_selftest.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

// Qt keeps `-session`/`--session ID` for X11 session management and takes it out of argv before any
// parser of ours sees it; embedlab's `--session FILE` is therefore taken out first. Returns "" when
// absent; `found` says whether it was given (a missing value is reported by the caller).
std::string takeSessionArgument(int& argc, char** argv, bool& found) {
    found = false;
    std::string value;
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strcmp(a, "--session") == 0 || std::strcmp(a, "-session") == 0) {
            found = true;
            if (i + 1 < argc) value = argv[++i];
            continue;
        }
        if (std::strncmp(a, "--session=", 10) == 0) {
            found = true;
            value = a + 10;
            continue;
        }
        argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = nullptr;
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    bool sessionGiven = false;
    const std::string sessionFile = takeSessionArgument(argc, argv, sessionGiven);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("embedlab"));
    QApplication::setApplicationName(QStringLiteral("embedlab"));
    QApplication::setApplicationVersion(QStringLiteral(EMBEDLAB_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("embedlab — a lab for language-model embeddings"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("Render the main window to a PNG file and exit."),
                                  QStringLiteral("FILE"));
    QCommandLineOption selfTest(QStringLiteral("self-test"),
                                QStringLiteral("Run the SentencePiece + LibTorch self-test with a .model file."),
                                QStringLiteral("FILE"));
    QCommandLineOption noDefault(QStringLiteral("empty"),
                                 QStringLiteral("Start empty: neither the last session nor the default workspace."));
    // Listed for --help; the value itself was taken from argv before Qt could (takeSessionArgument).
    QCommandLineOption session(QStringLiteral("session"), QStringLiteral("Restore a saved session (docs/sessions.md)."),
                               QStringLiteral("FILE"));
    parser.addOption(screenshot);
    parser.addOption(selfTest);
    parser.addOption(noDefault);
    parser.addOption(session);
    parser.addPositionalArgument(QStringLiteral("paths"), QStringLiteral("Files or folders to open."),
                                 QStringLiteral("[PATH...]"));
    parser.process(app);

    if (parser.isSet(selfTest)) {
        try {
            const std::string out =
                embedlab::sentencePieceTorchSelfTest(parser.value(selfTest).toStdString(), "Merhaba dünya!");
            std::printf("%s\n", out.c_str());
            return 0;
        } catch (const embedlab::Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            return e.exitCode();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            return 4;
        }
    }

    embedlab::JobRunner runner;
    embedlab::MainWindow window(&runner);
    embedlab::Workspace workspace(&window);
    // What opens: --session FILE; else (unless --empty) the last session's autosave, or on a first run
    // the default workspace. A session that cannot be read is a message; the app opens empty.
    bool restoring = false;
    if (sessionGiven) {
        if (sessionFile.empty()) {
            std::fprintf(stderr, "error: --session needs a FILE\n");
            return 2;
        }
        restoring = workspace.openSession(QString::fromStdString(sessionFile));
    } else if (!parser.isSet(noDefault)) {
        // No autosave (a first run): the default workspace. An autosave that cannot be read: the message
        // (Messages panel and here), the file kept aside as .bad-TIME, and the app opens empty.
        if (QFileInfo::exists(embedlab::WorkspaceState::autosavePath())) {
            restoring = workspace.restoreAutosave();
            if (!restoring)
                std::fprintf(stderr, "embedlab: the last session could not be restored (see Messages); starting empty\n");
        } else {
            workspace.openDefault();
        }
    }
    // Paths on the command line: a missing or unreadable one gets a message; the app still opens.
    for (const QString& p : parser.positionalArguments()) window.openPath(p);

    if (parser.isSet(screenshot)) {
        window.resize(1400, 900);
        window.show();
        const QString file = parser.value(screenshot);
        auto shoot = [&window, &runner, file] {
            runner.waitForIdle(120000);  // a restored session's files and models are open
            QTimer::singleShot(300, &window, [&window, file] {
                const bool ok = window.grab().save(file, "PNG");
                if (!ok) std::fprintf(stderr, "error: cannot write screenshot %s\n", qPrintable(file));
                QApplication::exit(ok ? 0 : 3);
            });
        };
        if (restoring) QObject::connect(&workspace, &embedlab::Workspace::sessionRestored, &window, shoot);
        else QTimer::singleShot(0, &window, shoot);
        return app.exec();
    }
    window.show();
    return app.exec();
}
