// embedlab ui — the Tokenizer view of the Transfer / training panel: build our morphology-aware Turkish
// tokenizer (roots from a lexicon, suffix allomorph groups, BPE for the rest) or a SentencePiece BPE /
// unigram model on a corpus, then open it in the tokenizer lab beside the others, where fertility,
// TR%, Pure% and the treebank's boundary metrics compare them. The job is the task
// `embedlab-cli train tokenizer` runs (app/bridge/tokenizer_jobs.h), on the long lane; docs/tokenizers.md.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/tokenizer_build_job.h"
#include "app/state/workspace_state.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace embedlab {

class TokenizerBuildView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit TokenizerBuildView(JobRunner* runner, QWidget* parent = nullptr);

    TokenizerBuildParams params() const;
    void setParams(const TokenizerBuildParams& p);
    // Starts the build (long lane); built / buildFailed follow. 0 when the form is incomplete (the
    // message is shown) or a build is going.
    JobId start();
    void cancel();
    bool running() const { return running_; }

    QString statusText() const;
    QString resultText() const;
    QString writtenPath() const { return written_; }  // the tokenizer written last ("" before)

    QString sessionKey() const override { return QStringLiteral("tokenizer_build"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

Q_SIGNALS:
    void built(const QString& path);
    void buildFailed(const QString& message);
    void openInLab(const QString& path);

private:
    void setStatus(const QString& s);
    void kindChanged();

    JobRunner* runner_;
    QComboBox* kind_;
    QLineEdit *corpus_, *moreCorpora_, *lexicon_, *out_;
    QSpinBox* vocab_;
    QCheckBox* replace_;
    QPushButton *run_, *cancel_, *open_;
    QProgressBar* progress_;
    QLabel *status_, *result_;
    QString written_;
    bool running_ = false;
    JobHandlePtr job_;
};

}  // namespace embedlab
