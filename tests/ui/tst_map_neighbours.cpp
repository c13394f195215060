// The neighbours panel offscreen: it computes nothing, it emits requests (typed query, selected
// point, analogy) with k and metric, refuses incomplete input, shows the results it is given and
// asks the map to highlight their rows.
#include "ui/map/neighbours_panel.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

using namespace embedlab;

class TestMapNeighbours : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricNames() {
        for (NeighbourMetric m : {NeighbourMetric::Cosine, NeighbourMetric::Dot, NeighbourMetric::Euclidean}) {
            bool ok = false;
            QCOMPARE(neighbourMetricFromName(neighbourMetricName(m), &ok), m);
            QVERIFY(ok);
        }
        bool ok = true;
        neighbourMetricFromName(QStringLiteral("manhattan"), &ok);
        QVERIFY(!ok);
    }

    void typedQueryThroughTheWidgets() {
        NeighboursPanel p;
        p.show();
        QSignalSpy req(&p, &NeighboursPanel::neighboursRequested);
        auto* text = p.findChild<QLineEdit*>(QStringLiteral("neighbourQuery"));
        auto* k = p.findChild<QSpinBox*>(QStringLiteral("neighbourK"));
        auto* metric = p.findChild<QComboBox*>(QStringLiteral("neighbourMetric"));
        auto* find = p.findChild<QPushButton*>(QStringLiteral("neighbourFind"));
        QVERIFY(text && k && metric && find);
        // Empty: refused with a message, nothing emitted.
        find->click();
        QCOMPARE(req.count(), 0);
        QVERIFY(p.statusText().contains(QStringLiteral("type a token")));
        QTest::keyClicks(text, QStringLiteral("kitap"));  // keyClicks handles ASCII only
        text->setText(text->text() + QString::fromUtf8("lık"));
        k->setValue(25);
        metric->setCurrentIndex(metric->findText(QStringLiteral("euclidean")));
        QTest::keyClick(text, Qt::Key_Return);
        QCOMPARE(req.count(), 1);
        const auto q = req.at(0).at(0).value<NeighbourQuery>();
        QCOMPARE(q.text, QString::fromUtf8("kitaplık"));
        QCOMPARE(q.row, -1);
        QCOMPARE(q.k, 25);
        QCOMPARE(q.metric, NeighbourMetric::Euclidean);
        find->click();
        QCOMPARE(req.count(), 2);
    }

    void selectedPointQuery() {
        NeighboursPanel p;
        QSignalSpy req(&p, &NeighboursPanel::neighboursRequested);
        p.setUseSelectedPoint(true);
        QVERIFY(!p.requestNeighbours());  // nothing selected yet
        QCOMPARE(req.count(), 0);
        p.setMetric(NeighbourMetric::Dot);
        p.setSelectedPoint(42, QStringLiteral("ev"));  // auto query on selection
        QCOMPARE(req.count(), 1);
        auto q = req.at(0).at(0).value<NeighbourQuery>();
        QCOMPARE(q.row, 42);
        QCOMPARE(q.text, QStringLiteral("ev"));
        QCOMPARE(q.metric, NeighbourMetric::Dot);
        p.setAutoQuery(false);
        p.setSelectedPoint(7, QStringLiteral("su"));
        QCOMPARE(req.count(), 1);
        QVERIFY(p.requestNeighbours());
        QCOMPARE(req.last().at(0).value<NeighbourQuery>().row, 7);
        // Typed mode ignores the selection.
        p.setQueryText(QStringLiteral("ağaç"));
        QVERIFY(p.requestNeighbours());
        q = req.last().at(0).value<NeighbourQuery>();
        QCOMPARE(q.row, -1);
        QCOMPARE(q.text, QString::fromUtf8("ağaç"));
    }

    void analogyRequests() {
        NeighboursPanel p;
        QSignalSpy req(&p, &NeighboursPanel::analogyRequested);
        p.setAnalogy(QStringLiteral("kral"), QStringLiteral("erkek"), QString());
        QVERIFY(!p.requestAnalogy());
        QCOMPARE(req.count(), 0);
        auto* c = p.findChild<QLineEdit*>(QStringLiteral("analogyC"));
        c->setText(QString::fromUtf8("kadın"));
        p.setK(5);
        p.findChild<QPushButton*>(QStringLiteral("analogySolve"))->click();
        QCOMPARE(req.count(), 1);
        const auto q = req.at(0).at(0).value<AnalogyQuery>();
        QCOMPARE(q.a, QStringLiteral("kral"));
        QCOMPARE(q.b, QStringLiteral("erkek"));
        QCOMPARE(q.c, QString::fromUtf8("kadın"));
        QCOMPARE(q.k, 5);
        QCOMPARE(q.metric, NeighbourMetric::Cosine);
    }

    void resultsAreShownAndHighlighted() {
        NeighboursPanel p;
        QSignalSpy hl(&p, &NeighboursPanel::highlightRequested);
        QSignalSpy act(&p, &NeighboursPanel::rowActivated);
        const QVector<NeighbourResult> res{{3, QString::fromUtf8("kraliçe"), 0.8123},
                                           {-1, QStringLiteral("<unk>"), 0.5},
                                           {17, QStringLiteral("prenses"), 0.75}};
        p.setResults(res);
        QCOMPARE(hl.count(), 1);
        QCOMPARE(hl.at(0).at(0).value<QVector<int>>(), (QVector<int>{3, 17}));
        QTableWidget* t = p.table();
        QCOMPARE(t->rowCount(), 3);
        QCOMPARE(t->item(0, 1)->text(), QString::fromUtf8("kraliçe"));
        QCOMPARE(t->item(0, 2)->text(), QStringLiteral("0.8123"));
        QCOMPARE(t->item(1, 0)->text(), QStringLiteral("–"));
        Q_EMIT t->cellActivated(2, 1);
        QCOMPARE(act.count(), 1);
        QCOMPARE(act.at(0).at(0).toInt(), 17);
        Q_EMIT t->cellActivated(1, 1);  // not on the map: nothing
        QCOMPARE(act.count(), 1);
        p.clearResults();
        QCOMPARE(t->rowCount(), 0);
        QCOMPARE(hl.last().at(0).value<QVector<int>>(), QVector<int>{});
        p.setError(QStringLiteral("token <x> not in vocabulary"));
        QVERIFY(p.statusText().contains(QStringLiteral("&lt;x&gt;")));
    }
};

QTEST_MAIN(TestMapNeighbours)
#include "tst_map_neighbours.moc"
