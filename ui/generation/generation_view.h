// embedlab ui — the Generation view: a prompt (or a batch, one per line), sampling controls, the
// output streamed token by token and coloured by the chosen token's probability, the top
// alternatives on hover, and a Stop button.
#pragma once

#include "app/bridge/job_runner.h"
#include "app/bridge/model_jobs.h"
#include "app/state/workspace_state.h"

#include <QVector>
#include <QWidget>

class QPlainTextEdit;
class QSpinBox;
class QLineEdit;
class QDoubleSpinBox;
class QCheckBox;
class QPushButton;
class QLabel;
class QVBoxLayout;

class QJsonArray;

namespace embedlab {

class TokenStrip;

class GenerationView : public QWidget, public SessionParticipant {
    Q_OBJECT
public:
    explicit GenerationView(JobRunner* runner, QWidget* parent = nullptr);

    // Session: the prompt, batch mode and sampling settings (generated text is not kept: sampling is
    // seeded, so Generate reproduces it).
    QString sessionKey() const override { return QStringLiteral("generation"); }
    QJsonObject saveSession() const override;
    void restoreSession(const QJsonObject& state, SessionReport& report) override;

    // The model that generates (from the Models panel); null disables Generate.
    void setModel(ModelSessionPtr session, const QString& name, bool causal);
    void setPrompt(const QString& text);
    void setBatchMode(bool on);
    GenerationParams params() const;
    void setParams(const GenerationParams& p);

    JobId generate();  // 0 when nothing could start (a message explains)
    void stop();
    bool running() const { return current_ != nullptr; }

    int outputCount() const { return strips_.size(); }
    TokenStrip* output(int i) const { return strips_.at(i); }
    QString outputText(int i) const;
    QString statusText() const;

    static QColor probabilityColor(double p);

Q_SIGNALS:
    void finished(bool ok);

private:
    void onToken(const GeneratedToken& t);
    void resetOutputs(int n, const QStringList& prompts);
    QJsonArray savedOutputs() const;

    JobRunner* runner_;
    ModelSessionPtr session_;
    QPlainTextEdit* prompt_;
    QCheckBox* batch_;
    QSpinBox* maxTokens_;
    QDoubleSpinBox* temperature_;
    QSpinBox* topK_;
    QDoubleSpinBox* topP_;
    QSpinBox* seed_;
    QDoubleSpinBox* repetition_;
    QSpinBox* alternatives_;
    QLineEdit *zeroHeads_, *skipLayers_;  // interventions (docs/lens.md)
    QPushButton* generate_;
    QPushButton* stop_;
    QLabel* model_;
    QLabel* status_;
    QVBoxLayout* outputs_;
    QVector<TokenStrip*> strips_;
    QVector<QString> texts_;
    QStringList outputPrompts_;  // the prompt of each output (its box's title)
    JobHandlePtr current_;
};

}  // namespace embedlab
