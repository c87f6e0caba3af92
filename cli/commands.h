#pragma once
// nibble-cli's subcommands; each takes the arguments after its name and
// returns the process exit code.
#include <string>
#include <vector>

namespace nibble::cli {

using Argv = std::vector<std::string>;

int devicesCommand(const Argv& args);
int infoCommand(const Argv& args);
int tokenizeCommand(const Argv& args);
int runCommand(const Argv& args);
int chatCommand(const Argv& args);
int perplexityCommand(const Argv& args);
int quantizeCommand(const Argv& args);
int compareCommand(const Argv& args);

}  // namespace nibble::cli
