// embedlab engine task — the morphology probes of one vector source (`embedlab-cli morph probe`): a
// vectors file (word2vec, fastText .vec, GloVe, …; a word is looked up as written, then by its
// Turkish-lowercased label) or a model, whose vector of a word is the mean hidden state, at a layer,
// over the word's own pieces (tokenized alone, no special tokens). engine/eval/morph_probe.h defines the
// labels, the root-disjoint split and the probe.
#pragma once

#include "engine/eval/morph_probe.h"
#include "engine/jobs/progress.h"

#include <string>

namespace embedlab::tasks {

struct MorphProbeOptions {
    std::string gold;          // treebank
    std::string feature = "case";
    std::string vectorsPath;   // either this …
    std::string modelDir;      // … or a model folder
    std::string tokenizerPath; // the model's tokenizer ("" = the one in its folder)
    int64_t layer = -1;        // hidden state: 0 = embedding output … numLayers; negative from the end
    std::string device = "cpu";
    std::string dtype = "f32";
    uint64_t seed = 0;
};

struct MorphProbeResult {
    eval::ProbeResult probe;
    int64_t words = 0;  // labelled word types in the treebank
    int64_t layer = -1; // the layer read (models)
    double seconds = 0;
};

MorphProbeResult morphProbe(const MorphProbeOptions& options, Progress& progress);

}  // namespace embedlab::tasks
