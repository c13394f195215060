#include "engine/models/dtype.h"

#include "engine/core/error.h"

namespace embedlab {

c10::ScalarType parseDtype(const std::string& name) {
    if (name == "f32" || name == "float32" || name == "fp32" || name == "float") return c10::ScalarType::Float;
    if (name == "bf16" || name == "bfloat16") return c10::ScalarType::BFloat16;
    if (name == "f16" || name == "float16" || name == "fp16" || name == "half") return c10::ScalarType::Half;
    throw Error::badInput("unknown dtype '" + name + "': use f32, bf16 or f16");
}

std::string dtypeName(c10::ScalarType t) {
    switch (t) {
    case c10::ScalarType::Float: return "f32";
    case c10::ScalarType::BFloat16: return "bf16";
    case c10::ScalarType::Half: return "f16";
    case c10::ScalarType::Double: return "f64";
    default: return c10::toString(t);
    }
}

size_t dtypeBytes(c10::ScalarType t) { return c10::elementSize(t); }

}  // namespace embedlab
