// embedlab engine — compute dtypes as the CLI and the UI name them ("f32", "bf16", "f16").
#pragma once

#include <c10/core/ScalarType.h>

#include <string>

namespace embedlab {

// "f32"/"float32"/"fp32" → Float, "bf16"/"bfloat16" → BFloat16, "f16"/"float16"/"fp16" → Half.
// Throws Error(BadInput) for anything else.
c10::ScalarType parseDtype(const std::string& name);
// Float → "f32", BFloat16 → "bf16", Half → "f16".
std::string dtypeName(c10::ScalarType t);
size_t dtypeBytes(c10::ScalarType t);

}  // namespace embedlab
