// embedlab engine — small UTF-8 helpers shared by the tokenizers and the corpus reader.
#pragma once

#include <cstdint>
#include <string>

namespace embedlab {

// Appends code point `cp` (≤ 0x10FFFF) to `out` as UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

}  // namespace embedlab
