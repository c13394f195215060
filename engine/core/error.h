// embedlab engine — the one exception type that carries a user-facing message.
//
// Engine functions that can fail on user input throw embedlab::Error. The app bridge turns it into a
// message in the log panel; embedlab-cli turns it into `error: ...` on stderr and an exit code
// (BadInput → 3, Runtime → 4, Cancelled → 130 is never reported as a failure to the user).
#pragma once

#include <stdexcept>
#include <string>

namespace embedlab {

class Error : public std::runtime_error {
public:
    enum class Kind {
        BadInput,  // a file is missing, corrupt, or in the wrong format; a parameter is invalid
        Runtime,   // out of memory, device unavailable, an internal failure
        Cancelled  // the user (or a restart) cancelled the operation
    };

    Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    Kind kind() const noexcept { return kind_; }

    static Error badInput(const std::string& message) { return Error(Kind::BadInput, message); }
    static Error runtime(const std::string& message) { return Error(Kind::Runtime, message); }
    static Error cancelled() { return Error(Kind::Cancelled, "cancelled"); }

    // The CLI contract's exit codes: 3 bad input, 4 runtime failure.
    int exitCode() const noexcept {
        switch (kind_) {
        case Kind::BadInput: return 3;
        case Kind::Runtime: return 4;
        case Kind::Cancelled: return 130;
        }
        return 4;
    }

private:
    Kind kind_;
};

}  // namespace embedlab
