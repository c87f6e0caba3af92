// quantize and compare: making precision variants and measuring what they cost.
#include "cli_args.h"
#include "commands.h"

#include "nibble/evaluation.h"
#include "nibble/quantize.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace nibble::cli {
namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Chat prompts file: one user message per line (blank lines ignored).
std::vector<std::vector<ChatMessage>> readPrompts(const std::string& path) {
    std::istringstream in(readText(path));
    std::vector<std::vector<ChatMessage>> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back({{"user", line}});
    if (out.empty()) throw UsageError(path + " holds no prompts");
    return out;
}

std::string jsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += c;
    }
    return out;
}

}  // namespace

int quantizeCommand(const Argv& argv) {
    Args args(argv, {"imatrix", "calibrate"}, {"calibrate-default", "compensate", "channel-scales"});
    if (args.positional().size() != 3) throw UsageError("expects IN OUT TYPE");
    QuantizeOptions options;
    options.recipe = args.positional()[2];
    if (auto file = args.value("imatrix")) options.importanceFile = *file;
    if (auto text = args.value("calibrate")) {
        options.calibrate = true;
        options.calibrationText = readText(*text);
    }
    if (args.flag("calibrate-default")) options.calibrate = true;
    if (args.flag("compensate")) options.compensate = options.calibrate = true;
    options.channelScales = args.flag("channel-scales");
    int shown = -1;
    options.progress = [&](float f) {
        const int percent = int(f * 100);
        if (percent != shown) std::cerr << "\rquantizing " << (shown = percent) << "%" << std::flush;
        return true;
    };
    QuantizeResult r = quantizeModel(args.positional()[0], args.positional()[1], options);
    std::cerr << "\n";
    std::printf("wrote %s: %.2f MiB (source %.2f MiB), %.2f bits per quantized weight, %.1f s\n",
                args.positional()[1].c_str(), double(r.outputBytes) / (1 << 20), double(r.sourceBytes) / (1 << 20),
                r.bitsPerWeight, r.seconds);
    for (const auto& [type, count] : r.tensorTypes) std::printf("  %s: %d tensors\n", type.c_str(), count);
    for (const auto& w : r.warnings) std::printf("warning: %s\n", w.c_str());
    return 0;
}

int compareCommand(const Argv& argv) {
    Args args(argv, {"model", "file", "prompts", "ctx", "reply-tokens", "backend"}, {"json"},
              {{"-m", "--model"}, {"-f", "--file"}});
    const std::vector<std::string> models = args.values("model");
    if (models.size() < 2) throw UsageError("needs a reference and at least one variant: -m REFERENCE -m VARIANT ...");
    CompareOptions options;
    options.nCtx = args.intValue("ctx", 512);
    options.replyTokens = args.intValue("reply-tokens", 96);
    const std::string backend = args.value("backend").value_or("cpu");
    options.backend = backend == "vulkan"      ? BackendKind::Vulkan
                      : backend == "reference" ? BackendKind::Reference
                                               : BackendKind::Cpu;
    if (auto file = args.value("file")) options.text = readText(*file);
    if (auto prompts = args.value("prompts")) options.conversations = readPrompts(*prompts);
    options.progress = [](float f) {
        std::cerr << "\rcomparing " << int(f * 100) << "%" << std::flush;
        return true;
    };
    std::vector<std::filesystem::path> variants(models.begin() + 1, models.end());
    std::vector<VariantQuality> results = compareModels(models[0], variants, options);
    std::cerr << "\n";
    if (args.flag("json")) {
        std::printf("[");
        for (size_t i = 0; i < results.size(); ++i) {
            const VariantQuality& q = results[i];
            std::printf("%s{\"path\":\"%s\",\"reference\":%s,\"file_type\":\"%s\",\"file_bytes\":%llu,\"weight_bytes\":%llu,\"bits_per_weight\":%.4f,\"scored_tokens\":%d,"
                        "\"ppl\":%.6f,\"ppl_error\":%.6f,\"kld_mean\":%.8f,\"kld_mean_error\":%.8f,\"kld_p99\":%.8f,"
                        "\"kld_max\":%.8f,\"same_top_percent\":%.4f,\"same_top_error\":%.4f,\"rms_delta_p\":%.6f,"
                        "\"rms_delta_p_error\":%.6f,\"decode_tokens_per_second\":%.3f}",
                        i ? "," : "", jsonEscape(q.path).c_str(), i == 0 ? "true" : "false", q.fileType.c_str(),
                        static_cast<unsigned long long>(q.fileBytes), static_cast<unsigned long long>(q.weightBytes), q.bitsPerWeight, q.scoredTokens, q.perplexity, q.perplexityError,
                        q.kldMean, q.kldMeanError, q.kldP99, q.kldMax, q.sameTopPercent, q.sameTopError, q.rmsDeltaP,
                        q.rmsDeltaPError, q.decodeTokensPerSecond);
        }
        std::printf("]\n");
        return 0;
    }
    std::printf("%-32s %8s %11s %6s %18s %18s %10s %16s %14s %8s\n", "model", "type", "weights MiB", "bits/w", "PPL",
                "mean KLD", "p99 KLD", "same top %", "RMS dp", "tok/s");
    for (size_t i = 0; i < results.size(); ++i) {
        const VariantQuality& q = results[i];
        std::string name = std::filesystem::path(q.path).filename().string();
        if (i == 0) name += " (ref)";
        std::printf("%-32s %8s %11.2f %6.2f %9.4f ± %6.4f %9.6f ± %6.6f %10.6f %7.2f ± %5.2f %7.4f ± %5.4f %8.1f\n",
                    name.c_str(), q.fileType.c_str(), double(q.weightBytes) / (1 << 20), q.bitsPerWeight, q.perplexity, q.perplexityError,
                    q.kldMean, q.kldMeanError, q.kldP99, q.sameTopPercent, q.sameTopError, q.rmsDeltaP, q.rmsDeltaPError,
                    q.decodeTokensPerSecond);
    }
    return 0;
}

}  // namespace nibble::cli
