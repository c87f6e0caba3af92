#pragma once
// The one error type that crosses the engine's public edge. Its message is
// written for a person ("tensor blk.3.ffn_up.weight extends past the end of
// the file"), so the app can show it as it is.
#include <stdexcept>
#include <string>

namespace nibble {

enum class ErrorKind {
    InvalidFile,      // malformed or truncated model file
    Unsupported,      // valid file, but an architecture, tensor type or feature we lack
    Io,               // the operating system refused a read or write
    NoDevice,         // no usable GPU / Vulkan device
    OutOfMemory,      // host or device memory exhausted
    DeviceLost,       // the GPU stopped responding mid-work
    Cancelled,        // the caller asked to stop
    InvalidArgument,  // the caller passed something that cannot work
    ContextFull,      // the conversation does not fit the context window
    Internal,         // a bug in Nibble
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

}  // namespace nibble
