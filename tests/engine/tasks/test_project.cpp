// The projection task (engine/tasks/project.h): PCA against scikit-learn, PCA of cosine geometry on
// unit rows, quality figures, the method's details, and bad input.
#include "../analysis/analysis_test_util.h"

#include "engine/core/error.h"
#include "engine/tasks/project.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

using namespace embedlab;

TEST(ProjectTask, PcaMatchesSklearnForBothMetrics) {
    if (!test::haveSklearn()) GTEST_SKIP() << "reference Python lacks scikit-learn";
    at::Tensor x = test::blobs(40, 3, 6, 5);
    const std::string path = test::analysisTmp("task_project.npy");
    test::saveNpy(path, x);
    for (const Metric m : {Metric::Euclidean, Metric::Cosine}) {
        tasks::ProjectOptions o;
        o.method = "pca";
        o.metric = m;
        Progress progress;
        const tasks::ProjectResult r = tasks::project(x, o, progress);
        ASSERT_EQ(r.coords.size(0), 120);
        ASSERT_EQ(r.coords.size(1), 2);
        EXPECT_DOUBLE_EQ(progress.snapshot().fraction, 1.0);
        EXPECT_TRUE(r.details.contains("explained_variance_ratio"));
        EXPECT_GT(r.quality.trustworthiness, 0.8);
        EXPECT_LE(r.quality.trustworthiness, 1.0);
        bool ok = false;
        std::ostringstream code;
        code << "import numpy as np\nfrom sklearn.decomposition import PCA\nx=np.load('" << path << "').astype(np.float64)\n"
             << (m == Metric::Cosine ? "x=x/np.linalg.norm(x,axis=1,keepdims=True)\n" : "")
             << "y=PCA(n_components=2,svd_solver='full').fit_transform(x)\n"
             << "print(' '.join(repr(float(v)) for v in y.ravel()))\n";
        const std::string out = test::runPython(code.str(), ok);
        ASSERT_TRUE(ok) << out;
        const at::Tensor c = r.coords.to(at::kDouble);
        double worst = 0;  // components are defined up to sign
        std::istringstream in2(out);
        std::vector<double> ref(240);
        for (double& v : ref) in2 >> v;
        for (int comp = 0; comp < 2; ++comp) {
            double same = 0, flip = 0;
            for (int i = 0; i < 120; ++i) {
                const double a = c[i][comp].item<double>(), b = ref[size_t(i) * 2 + size_t(comp)];
                same = std::max(same, std::abs(a - b));
                flip = std::max(flip, std::abs(a + b));
            }
            worst = std::max(worst, std::min(same, flip));
        }
        EXPECT_LT(worst, 1e-3) << (m == Metric::Cosine ? "cosine" : "euclidean");
    }
}

TEST(ProjectTask, UmapReportsItsDetailsAndBadInputIsAMessage) {
    at::Tensor x = test::blobs(30, 2, 5, 9);
    tasks::ProjectOptions o;
    o.method = "umap";
    o.neighbors = 10;
    o.epochs = 50;
    int previews = 0;
    o.previewEvery = 10;
    o.preview = [&](const at::Tensor& c, int, int) {
        ++previews;
        EXPECT_EQ(c.size(0), 60);
    };
    const tasks::ProjectResult r = tasks::project(x, o, nullProgress());
    EXPECT_EQ(r.coords.size(1), 2);
    EXPECT_EQ(r.details.at("epochs").get<int>(), 50);
    EXPECT_TRUE(r.details.contains("a") && r.details.contains("b"));
    EXPECT_GT(previews, 0);
    auto message = [&](tasks::ProjectOptions bad) -> std::string {
        try {
            tasks::project(x, bad, nullProgress());
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput);
            return e.what();
        }
        return "(no error)";
    };
    tasks::ProjectOptions bad;
    bad.method = "mds";
    EXPECT_NE(message(bad).find("unknown projection 'mds'"), std::string::npos);
    bad.method = "pca";
    bad.dims = 4;
    EXPECT_NE(message(bad).find("2 or 3 dimensions"), std::string::npos);
    bad.dims = 3;
    EXPECT_NE(tasks::project(x.slice(1, 0, 3), bad, nullProgress()).coords.size(1), 0);
    EXPECT_THROW(tasks::project(x.slice(1, 0, 2), bad, nullProgress()), Error);
}
