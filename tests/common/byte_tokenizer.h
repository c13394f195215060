// A byte-level BPE tokenizer.json with no merges (ids 0–255 are the 256 bytes, 511 is
// <|endoftext|>), written for tests that need text in and out of the 512-token fixture models.
#pragma once

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <vector>

namespace embedlab::test {

// GPT-2's reversible byte → printable character table.
inline std::vector<char32_t> gpt2ByteChars() {
    std::vector<int> bs;
    for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
    for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
    for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
    std::vector<char32_t> table(256);
    std::vector<bool> direct(256, false);
    for (int b : bs) {
        direct[b] = true;
        table[b] = static_cast<char32_t>(b);
    }
    int n = 0;
    for (int b = 0; b < 256; ++b)
        if (!direct[b]) table[b] = static_cast<char32_t>(256 + n++);
    return table;
}

inline QByteArray byteLevelTokenizerJson() {
    const auto table = gpt2ByteChars();
    QJsonObject vocab;
    for (int b = 0; b < 256; ++b) vocab.insert(QString::fromUcs4(&table[b], 1), b);
    vocab.insert(QStringLiteral("<|endoftext|>"), 511);
    QJsonObject added{{"id", 511},          {"content", "<|endoftext|>"}, {"single_word", false},
                      {"lstrip", false},    {"rstrip", false},            {"normalized", false},
                      {"special", true}};
    QJsonObject model{{"type", "BPE"},
                      {"dropout", QJsonValue::Null},
                      {"unk_token", QJsonValue::Null},
                      {"continuing_subword_prefix", ""},
                      {"end_of_word_suffix", ""},
                      {"fuse_unk", false},
                      {"byte_fallback", false},
                      {"vocab", vocab},
                      {"merges", QJsonArray()}};
    QJsonObject byteLevel{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                          {"use_regex", true}};
    QJsonObject root{{"version", "1.0"},
                     {"truncation", QJsonValue::Null},
                     {"padding", QJsonValue::Null},
                     {"added_tokens", QJsonArray{added}},
                     {"normalizer", QJsonValue::Null},
                     {"pre_tokenizer", byteLevel},
                     {"post_processor", byteLevel},
                     {"decoder", byteLevel},
                     {"model", model}};
    return QJsonDocument(root).toJson();
}

// A model folder: the fixture model's config/weights (copied) plus the byte-level tokenizer.
inline bool makeModelWithByteTokenizer(const QString& fixtureModelDir, const QString& outDir) {
    QDir().mkpath(outDir);
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors"}) {
        const QString src = fixtureModelDir + QLatin1Char('/') + QLatin1String(f);
        const QString dst = outDir + QLatin1Char('/') + QLatin1String(f);
        QFile::remove(dst);
        if (QFile::exists(src) && !QFile::copy(src, dst)) return false;
    }
    QFile t(outDir + QStringLiteral("/tokenizer.json"));
    if (!t.open(QIODevice::WriteOnly)) return false;
    t.write(byteLevelTokenizerJson());
    return true;
}

}  // namespace embedlab::test
