// embedlab engine — what kind of thing a dropped or opened path is, so the app can route it.
#pragma once

#include <string>

namespace embedlab {

enum class FileKind {
    ModelFolder,  // a Hugging Face folder: config.json (+ weights)
    Tokenizer,    // tokenizer.json(.gz), a SentencePiece .model, or a folder of tokenizer files
    Corpus,       // .txt .md .csv .tsv .jsonl text
    Vectors,      // .npy .safetensors .vec .bin (word2vec), numeric .tsv / GloVe .txt
    Missing,      // the path does not exist or cannot be read
    Unknown       // anything else
};

const char* fileKindName(FileKind k);  // "model folder", "tokenizer", ...

// Classifies by name and, where names are ambiguous (.tsv, .txt, .bin), by peeking at the first
// bytes. Never throws; `why` (optional) receives a user-facing explanation for Missing/Unknown.
FileKind classifyPath(const std::string& path, std::string* why = nullptr);

}  // namespace embedlab
