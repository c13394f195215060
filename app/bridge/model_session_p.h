// embedlab app — the private side of ModelSession (includes engine model headers; bridge .cpp only,
// never ui/).
#pragma once

#include "models/model.h"
#include "tokenizers/tokenizer.h"

#include <memory>
#include <mutex>
#include <string>

namespace embedlab {

class ModelSession {
public:
    std::string path;
    std::unique_ptr<Model> model;
    std::unique_ptr<Tokenizer> tokenizer;
    std::mutex mutex;  // jobs run on one engine thread; the mutex guards against misuse elsewhere
};

}  // namespace embedlab
