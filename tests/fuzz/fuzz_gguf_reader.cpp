// libFuzzer target: any bytes must give either a valid GgufFile or a
// nibble::Error, never a crash, a hang or a huge allocation; and a file that
// parses must also survive reading the model configuration and weights from it.
#include "gguf/gguf_reader.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "nibble/error.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        nibble::gguf::GgufFile file(std::span<const uint8_t>(data, size), "fuzz.gguf");
        size_t touched = 0;
        for (const auto& [key, value] : file.metadata()) touched += key.size() + value.toDisplayString().size();
        for (const auto& t : file.tensors())
            if (t.byteSize) touched += t.data[0] + t.data[t.byteSize - 1];
        auto config = nibble::ModelConfig::fromGguf(file);
        auto weights = nibble::ModelWeights::bind(file, config);
        touched += weights.layers.size();
        volatile size_t sink = touched;
        (void)sink;
    } catch (const nibble::Error&) {
    }
    return 0;
}
