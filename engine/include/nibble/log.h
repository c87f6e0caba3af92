#pragma once
// Engine logging goes through spdlog's default logger; the app and the CLI
// decide where it goes (stderr, a rotating file) before using the engine.
#include <string>

namespace nibble {

// Sends engine logs to stderr and, when file is not empty, to a rotating file
// (5 files of 5 MiB). verbose lowers the level from info to debug.
void configureLogging(const std::string& file, bool verbose);

}  // namespace nibble
