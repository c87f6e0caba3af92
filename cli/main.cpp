// nibble-cli: the engine from a terminal, through the same API as the app.
#include "cli_args.h"
#include "commands.h"
#include "terminal_text.h"

#include "nibble/error.h"
#include "nibble/log.h"

#include <cstdio>
#include <cstring>
#include <iostream>

namespace {

constexpr const char* kUsage = R"(usage: nibble-cli [--verbose] COMMAND [options]

commands:
  devices [--device D]                      list Vulkan devices and the one Nibble picks
  info MODEL                                metadata, tensor types, parameter count
  tokenize MODEL TEXT [--ids]               split text into tokens
  run -m MODEL -p PROMPT [-n N] [--chat]    generate text (only the text goes to stdout)
      [--temp T] [--seed S] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
      [--backend cpu|reference|vulkan] [--device D] [--ctx N]
  chat -m MODEL [--system TEXT]             interactive chat using the model's template
  perplexity -m MODEL -f FILE [--ctx N]     perplexity with the established protocol
  quantize IN OUT TYPE [--imatrix FILE | --calibrate TEXTFILE | --calibrate-default] [--compensate]
                                            write a variant (F16 Q8_0 Q6_K Q5_K_M Q5_1 Q5_0 Q4_K_M Q4_1 Q4_0 IQ4_XS IQ4_NL);
                                            --compensate: GPTQ-style error compensation (built-in text
                                            unless --calibrate, and text the model writes), same types and size
                                            --channel-scales: with --compensate, activation-aware scales folded
                                            into the norms before attention and the FFN (AWQ), where they help
  compare -m REFERENCE -m VARIANT [-m ...] (-f TEXTFILE | --prompts FILE) [--ctx N] [--json]
                                            quality of variants against the reference: PPL, KL divergence,
                                            same top token, RMS delta-p, speed, size
)";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool verbose = false;
    if (!args.empty() && (args[0] == "--verbose" || args[0] == "-v")) {
        verbose = true;
        args.erase(args.begin());
    }
    nibble::configureLogging({}, verbose);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    const nibble::cli::Argv rest(args.begin() + 1, args.end());
    try {
        if (command == "devices") return nibble::cli::devicesCommand(rest);
        if (command == "info") return nibble::cli::infoCommand(rest);
        if (command == "tokenize") return nibble::cli::tokenizeCommand(rest);
        if (command == "run") return nibble::cli::runCommand(rest);
        if (command == "chat") return nibble::cli::chatCommand(rest);
        if (command == "perplexity") return nibble::cli::perplexityCommand(rest);
        if (command == "quantize") return nibble::cli::quantizeCommand(rest);
        if (command == "compare") return nibble::cli::compareCommand(rest);
        std::cerr << "nibble-cli: unknown command \"" << command << "\"\n" << kUsage;
        return 2;
    } catch (const nibble::cli::UsageError& e) {
        std::cerr << "nibble-cli " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const nibble::Error& e) {
        std::cerr << "nibble-cli: " << nibble::cli::printable(e.what()) << "\n";  // may quote the model file
        return 1;
    }
}
