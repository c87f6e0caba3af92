// run and chat: commands that generate text.
#include "cli_args.h"
#include "commands.h"
#include "terminal_text.h"

#include "nibble/engine.h"

#include <cstdio>
#include <iostream>

namespace nibble::cli {
namespace {

const std::set<std::string> kModelOptions = {"model", "backend", "device", "ctx", "temp", "seed", "top-k", "top-p",
                                             "min-p", "repeat-penalty", "n", "prompt", "system", "stop"};
const std::map<std::string, std::string> kAliases = {{"-m", "--model"}, {"-p", "--prompt"}, {"-n", "--n"}, {"-s", "--seed"}};

std::shared_ptr<Model> openModel(const Args& args) {
    LoadOptions options;
    const std::string backend = args.value("backend").value_or("cpu");
    if (backend == "cpu" || backend == "cpu-fast") options.backend = BackendKind::Cpu;
    else if (backend == "vulkan") options.backend = BackendKind::Vulkan;
    else if (backend == "auto") options.backend = BackendKind::Auto;
    else if (backend == "reference") options.backend = BackendKind::Reference;
    else throw UsageError("--backend must be cpu, reference, vulkan or auto");
    options.device = args.value("device").value_or("");
    options.contextLength = uint32_t(args.intValue("ctx", 0));
    auto model = Model::open(args.required("model"), options);
    const ModelInfo& info = model->info();
    std::cerr << "nibble-cli: " << printable(info.name) << " (" << printable(info.architecture) << ", "
              << printable(info.fileType) << ") on " << model->backendDescription() << ", context " << info.contextLength
              << " tokens\n";
    if (!info.contextWarning.empty()) std::cerr << "nibble-cli: warning: " << info.contextWarning << "\n";
    return model;
}

GenerateOptions generateOptions(const Args& args) {
    GenerateOptions o;
    o.maxTokens = args.intValue("n", 256);
    o.sampling.temperature = float(args.doubleValue("temp", 0.0));
    o.sampling.seed = uint64_t(args.intValue("seed", 0));
    o.sampling.topK = args.intValue("top-k", o.sampling.topK);
    o.sampling.topP = float(args.doubleValue("top-p", o.sampling.topP));
    o.sampling.minP = float(args.doubleValue("min-p", o.sampling.minP));
    o.sampling.repeatPenalty = float(args.doubleValue("repeat-penalty", o.sampling.temperature > 0 ? 1.1 : 1.0));
    o.stop = args.values("stop");
    return o;
}

void report(const GenerationResult& r) {
    std::fprintf(stderr, "\nnibble-cli: prompt %d tokens (%.1f t/s), generated %d tokens (%.1f t/s)\n", r.promptTokens,
                 r.promptTokensPerSecond(), r.generatedTokens, r.tokensPerSecond());
}

bool printPiece(std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
}

}  // namespace

int runCommand(const Argv& argv) {
    Args args(argv, kModelOptions, {"chat"}, kAliases);
    auto model = openModel(args);
    Session session(model);
    const std::string prompt = args.value("prompt").value_or("");
    const GenerateOptions options = generateOptions(args);
    GenerationResult r;
    if (args.flag("chat")) {
        std::vector<ChatMessage> messages;
        if (auto system = args.value("system")) messages.push_back({"system", *system});
        messages.push_back({"user", prompt});
        r = session.chat(messages, options, printPiece);
    } else {
        r = session.complete(prompt, options, printPiece);
    }
    std::fputc('\n', stdout);
    report(r);
    return 0;
}

int chatCommand(const Argv& argv) {
    Args args(argv, kModelOptions, {}, kAliases);
    auto model = openModel(args);
    Session session(model);
    GenerateOptions options = generateOptions(args);
    if (!args.value("temp")) {
        options.sampling = SamplingParams{};
        options.sampling.seed = uint64_t(args.intValue("seed", 0));
    }
    std::vector<ChatMessage> messages;
    if (auto system = args.value("system")) messages.push_back({"system", *system});
    std::cerr << "Type a message and press Enter; an empty line or end of input quits.\n";
    std::string line;
    while (std::cerr << "> " << std::flush, std::getline(std::cin, line) && !line.empty()) {
        messages.push_back({"user", line});
        GenerationResult r = session.chat(messages, options, printPiece);
        messages.push_back({"assistant", r.text});
        report(r);
    }
    return 0;
}

}  // namespace nibble::cli
