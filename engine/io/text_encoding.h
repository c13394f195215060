// embedlab engine — text encodings of corpus files: detection and decoding to UTF-8.
//
// Supported: UTF-8 (with or without BOM), UTF-16 LE/BE, Windows-1254 and ISO-8859-9.
//
// Detection (detectEncoding): a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without BOM from the pattern of NUL
// bytes; else UTF-8 when the sample is valid UTF-8; else an 8-bit Turkish code page: Windows-1254 when
// bytes 0x80–0x9F occur (they are printable there — ’ “ ” – … € — and C1 controls in ISO-8859-9), else
// ISO-8859-9 (both decode such a file identically); the Turkish letters ç ğ ı İ ö ş ü counted in
// 0xC0–0xFF back the guess up (reported in `reason`). NUL bytes in another pattern, or many control
// characters, mark the sample as binary.
#pragma once

#include "engine/core/utf8.h"  // isValidUtf8

#include <cstdint>
#include <string>
#include <string_view>

namespace embedlab {

enum class TextEncoding { Auto, Utf8, Utf16LE, Utf16BE, Windows1254, Iso8859_9 };
// "auto", "utf-8", "utf-16le", "utf-16be", "windows-1254", "iso-8859-9".
const char* encodingName(TextEncoding e);
// Accepts the names above and common aliases (utf8, cp1254, latin5, iso8859-9, ...). Throws BadInput.
TextEncoding parseEncoding(const std::string& name);

struct EncodingGuess {
    TextEncoding encoding = TextEncoding::Utf8;
    size_t bomBytes = 0;   // bytes of BOM to skip
    bool binary = false;   // the sample looks like binary data, not text
    std::string reason;    // why, for the user ("UTF-8 BOM", "valid UTF-8", "bytes 0x80–0x9F: ’ “ ” …")
};
// Guesses from the first bytes of a file (64 KiB are plenty).
EncodingGuess detectEncoding(std::string_view sample);
// Decodes a whole buffer (no BOM) to UTF-8. UTF-8 input is validated (throws BadInput when invalid).
std::string decodeToUtf8(std::string_view bytes, TextEncoding encoding);

// ---- Pieces for decoders that stream (the corpus reader) ----

// Valid UTF-8, allowing a sequence cut off at the very end (a sample cut mid-character).
// `hasMultibyte`: whether any code point above U+007F occurs.
bool isValidUtf8Sample(std::string_view sample, bool& hasMultibyte);

// Appends Windows-1254 or ISO-8859-9 bytes to `out` as UTF-8.
void appendDecoded8bit(std::string_view bytes, TextEncoding encoding, std::string& out);

// UTF-16 (LE or BE) to UTF-8, fed chunk by chunk: an odd byte and a pending high surrogate carry over
// to the next chunk. Unpaired surrogates become U+FFFD.
class Utf16Decoder {
public:
    explicit Utf16Decoder(bool bigEndian = false) : bigEndian_(bigEndian) {}
    void feed(std::string_view bytes, std::string& out);
    // The end of the input: a dangling byte or high surrogate becomes U+FFFD.
    void finish(std::string& out);

private:
    void push(uint32_t unit, std::string& out);
    bool bigEndian_;
    int pendingByte_ = -1;
    uint32_t highSurrogate_ = 0;
};

}  // namespace embedlab
