// Every vectors reader: word2vec text and binary, GloVe text, fastText .vec, Projector TSV, .npy and
// safetensors, by name (the first byte picks the format) and by detection.
#include "fuzz_common.h"
#include "engine/io/vectors.h"

using namespace embedlab;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const VectorFormat formats[] = {VectorFormat::Auto,        VectorFormat::Word2VecText, VectorFormat::Word2VecBinary,
                                           VectorFormat::GloveText,   VectorFormat::FastTextVec,  VectorFormat::ProjectorTsv,
                                           VectorFormat::Npy,         VectorFormat::SafeTensors};
    static const char* ext[] = {".txt", ".txt", ".bin", ".txt", ".vec", ".tsv", ".npy", ".safetensors"};
    const int k = data[0] & 7;
    const std::string path = fuzz::writeScratch(std::string("vectors") + ext[k], data + 1, size - 1);
    fuzz::expectResultOrError([&] {
        VectorReadOptions o;
        o.format = formats[k];
        o.dropNonFinite = (data[0] & 8) == 0;
        o.maxMatrixBytes = 64 << 20;  // a lying header must not allocate the machine away
        VectorReadReport report;
        VectorSet s = readVectors(path, o, &report);
        FUZZ_CHECK(s.data.defined() && s.data.dim() == 2);
        FUZZ_CHECK(s.labels.empty() || s.labels.size() == size_t(s.data.size(0)));  // labels and rows agree
        FUZZ_CHECK(uint64_t(s.data.numel()) * 4 <= o.maxMatrixBytes);              // the memory cap holds
        FUZZ_CHECK(report.rowsKept == s.data.size(0));
    });
    return 0;
}
