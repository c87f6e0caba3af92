// info, tokenize and perplexity: commands that inspect a model or score text.
#include "cli_args.h"
#include "commands.h"
#include "terminal_text.h"

#include "nibble/engine.h"
#include "nibble/evaluation.h"
#include "nibble/model_file.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace nibble::cli {

int infoCommand(const Argv& argv) {
    Args args(argv, {}, {});
    if (args.positional().size() != 1) throw UsageError("expects one model file");
    ModelFileSummary s = inspectModelFile(args.positional()[0]);
    std::cout << "GGUF version " << s.ggufVersion << ", " << s.tensorCount << " tensors, " << s.parameterCount
              << " parameters\n\nmetadata:\n";
    for (const auto& [key, value] : s.metadata)
        if (key != "tokenizer.chat_template") std::cout << "  " << printable(key) << " = " << printable(value) << "\n";
    std::cout << "\ntensor types:\n";
    for (const auto& [type, count] : s.tensorTypes) std::cout << "  " << printable(type) << ": " << count << "\n";
    return 0;
}

int tokenizeCommand(const Argv& argv) {
    Args args(argv, {}, {"ids", "no-bos", "special"});
    if (args.positional().size() != 2) throw UsageError("expects a model file and a text");
    LoadOptions options;
    options.backend = BackendKind::Cpu;
    auto model = Model::open(args.positional()[0], options);
    auto tokens = model->tokenize(args.positional()[1], !args.flag("no-bos"), args.flag("special"));
    if (args.flag("ids")) {
        for (size_t i = 0; i < tokens.size(); ++i) std::cout << (i ? " " : "") << tokens[i];
        std::cout << "\n";
    } else {
        for (int32_t t : tokens) std::cout << t << "\t" << printable(model->tokenText(t)) << "\n";
    }
    return 0;
}

int perplexityCommand(const Argv& argv) {
    Args args(argv, {"model", "file", "ctx", "backend", "device"}, {}, {{"-m", "--model"}, {"-f", "--file"}});
    std::ifstream in(args.required("file"), std::ios::binary);
    if (!in) throw UsageError("cannot read " + args.required("file"));
    std::stringstream text;
    text << in.rdbuf();
    const int nCtx = args.intValue("ctx", 512);
    LoadOptions options;
    const std::string backend = args.value("backend").value_or("cpu");
    options.backend = backend == "vulkan"      ? BackendKind::Vulkan
                      : backend == "reference" ? BackendKind::Reference
                                               : BackendKind::Cpu;
    options.device = args.value("device").value_or("");
    options.contextLength = uint32_t(nCtx);
    auto model = Model::open(args.required("model"), options);
    Session session(model);
    PerplexityResult r = perplexity(session, *model, text.str(), nCtx, [](int done, int total) {
        std::cerr << "\rchunk " << done << "/" << total << std::flush;
        return true;
    });
    std::cerr << "\n";
    std::printf("perplexity %.4f +/- %.4f (%d chunks of %d tokens, %d scored)\n", r.perplexity, r.perplexityError,
                r.chunks, nCtx, r.scoredTokens);
    return 0;
}

}  // namespace nibble::cli
