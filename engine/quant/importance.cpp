#include "quant/importance.h"

#include "cpu/cpu_transformer.h"
#include "nibble/error.h"
#include "tokenizer/tokenizer.h"

#include <fstream>
#include <string_view>

namespace nibble {

ImportanceMatrix ImportanceMatrix::calibrate(const gguf::GgufFile& file, const std::string& text, int chunkTokens,
                                             const std::function<bool(float)>& progress) {
    const ModelConfig config = ModelConfig::fromGguf(file);
    const ModelWeights weights = ModelWeights::bind(file, config);
    auto tokenizer = Tokenizer::fromGguf(file);
    std::vector<int32_t> tokens = tokenizer->encode(text, false, false);
    if (tokens.size() < 8) throw Error(ErrorKind::InvalidArgument, "the calibration text is too short");
    chunkTokens = std::min<int>(chunkTokens, int(std::min<uint32_t>(config.trainedContext, 4096)));

    struct Sums {
        std::vector<double> squares;
        uint64_t rows = 0;
    };
    std::map<const gguf::TensorInfo*, Sums> sums;
    ThreadPool pool;
    CpuTransformer model(config, weights, chunkTokens, pool);
    model.setActivationObserver([&](const gguf::TensorInfo& w, const float* x, int batch) {
        Sums& s = sums[&w];
        const size_t n = w.shape[0];
        s.squares.resize(n, 0.0);
        for (int b = 0; b < batch; ++b)
            for (size_t i = 0; i < n; ++i) s.squares[i] += double(x[size_t(b) * n + i]) * x[size_t(b) * n + i];
        s.rows += uint64_t(batch);
    });
    const int32_t bos = tokenizer->bos();
    std::vector<float> logits;
    ImportanceMatrix result;
    for (size_t start = 0; start < tokens.size(); start += size_t(chunkTokens - 1)) {
        const size_t room = size_t(chunkTokens) - (bos >= 0 ? 1 : 0);
        const size_t take = std::min(tokens.size() - start, room);
        std::vector<int32_t> chunk(tokens.begin() + start, tokens.begin() + start + take);
        if (bos >= 0) chunk.insert(chunk.begin(), bos);
        model.forward(chunk, 0, false, logits);
        result.tokens_ += int(chunk.size());
        if (progress && !progress(float(start + take) / float(tokens.size())))
            throw Error(ErrorKind::Cancelled, "quantization was cancelled");
    }
    for (auto& [tensor, s] : sums) {
        std::vector<float>& out = result.columns_[std::string(tensor->name)];
        out.resize(s.squares.size());
        for (size_t i = 0; i < out.size(); ++i) out[i] = float(s.squares[i] / double(s.rows));
    }
    return result;
}

ImportanceMatrix ImportanceMatrix::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::Io, "cannot open the importance file " + path.string());
    auto fail = [&](const std::string& what) -> void {
        throw Error(ErrorKind::InvalidFile, path.filename().string() + ": " + what + " (expected llama.cpp's imatrix.dat format)");
    };
    auto readInt = [&]() {
        int32_t v = 0;
        if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) fail("the file is truncated");
        return v;
    };
    ImportanceMatrix result;
    const int32_t entries = readInt();
    if (entries <= 0 || entries > 100000) fail("it claims " + std::to_string(entries) + " entries");
    for (int32_t e = 0; e < entries; ++e) {
        const int32_t nameLength = readInt();
        if (nameLength <= 0 || nameLength > 4096) fail("an entry has a name of " + std::to_string(nameLength) + " bytes");
        std::string name(size_t(nameLength), '\0');
        if (!in.read(name.data(), nameLength)) fail("the file is truncated");
        const int32_t calls = readInt();
        const int32_t values = readInt();
        if (values <= 0 || values > (1 << 24)) fail("entry " + name + " has " + std::to_string(values) + " values");
        std::vector<float>& out = result.columns_[name];
        out.resize(size_t(values));
        if (!in.read(reinterpret_cast<char*>(out.data()), std::streamsize(out.size() * sizeof(float)))) fail("the file is truncated");
        // Older files store sums over calls; newer ones already store means.
        if (calls > 1)
            for (float& v : out) v /= float(calls);
    }
    return result;
}

const float* ImportanceMatrix::find(const std::string& tensorName, uint64_t columns) const {
    auto it = columns_.find(tensorName);
    if (it == columns_.end() || it->second.size() != columns) return nullptr;
    return it->second.data();
}

const std::string& defaultCalibrationText() {
    static const std::string text = R"(Once upon a time, in a small village by the sea, there lived a girl named Mia. She liked to collect shells and count the boats that came home in the evening. One day her little brother Tom found a big blue shell on the sand. "Look, Mia!" he said. "It sings when I hold it to my ear." Mia smiled and said, "That is the sound of the sea. It is happy that you found it." They ran home to show their mother, and she put the shell on the window so everyone could see it.

The history of the printing press is a story of ideas spreading faster than ever before. Before movable type, books were copied by hand, which made them rare and expensive. When printers began to set letters in metal and press them onto paper, a single workshop could make hundreds of copies in the time a scribe needed for one. Within fifty years, presses were working in more than two hundred cities across Europe.

Question: What is the boiling point of water at sea level?
Answer: Water boils at 100 degrees Celsius, or 212 degrees Fahrenheit, at standard atmospheric pressure.

To make a simple tomato sauce, warm two tablespoons of olive oil in a pan, add a chopped onion and cook it slowly until soft. Add two cloves of garlic, a tin of tomatoes and a pinch of salt. Let it simmer for twenty minutes, stirring now and then, and finish with fresh basil.

def fibonacci(n):
    """Return the first n Fibonacci numbers."""
    numbers = [0, 1]
    while len(numbers) < n:
        numbers.append(numbers[-1] + numbers[-2])
    return numbers[:n]

for value in fibonacci(10):
    print(value)

Dear team, thank you all for your hard work this quarter. We shipped the new release on time, fixed more than forty bugs reported by users, and our support queue is the shortest it has been in a year. Next week we will plan the roadmap together; please bring your ideas.

The mitochondria are small structures inside cells that turn food into energy the cell can use. Plants also have chloroplasts, which capture light and use it to build sugars from water and carbon dioxide. Both structures have their own DNA, a clue that they were once free-living bacteria.

Lily and Ben went to the park on a sunny day. They played on the swings and shared an apple under a big tree. A friendly dog came to say hello, and Ben laughed when it licked his hand. When the sun went down, they walked home together, tired and happy.)";
    return text;
}

}  // namespace nibble
