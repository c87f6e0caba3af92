// Tokenizers: the ids llama.cpp gives for the same text and model, exact
// round trips through decode, special-token parsing, end-of-generation
// tokens, streaming UTF-8, and clear errors for broken vocabularies.
//
// Reference ids (tests/data/tokenizer/cases.json) come from llama.cpp's own
// tokenizer: tests/data/tokenizer/reference_tokenize.cpp built against the
// llama.cpp vendored in llama-cpp-python 0.3.36 and run over every case by
// make_reference.py (see that script). The stories260K golden files come from
// ../shared/golden (llama.cpp commit 34af94cd9).
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "test_models.h"
#include "tokenizer/tokenizer.h"
#include "text/utf8.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <fstream>
#include <map>
#include <sstream>

using namespace nibble;

namespace {

const char* kDataDir = NIBBLE_TOKENIZER_DATA_DIR;

// Text that exercises every path at once: CJK, Arabic, Greek, accents, emoji
// with skin tones and zero-width joiners, flags, tabs, runs of spaces,
// newlines and code.
const char* kMixedText =
    "中文测试：你好，世界。 العربية مرحبا بالعالم Ελληνικά café naïve Ærøskøbing\n"
    "👋🏽 family: 👨\u200d👩\u200d👧\u200d👦 flag 🇫🇷 ❤️\n"
    "\tindented\t\ttabs   three spaces  two\n\n\n"
    "  int main() { return x != 0 ? 1 : -2; } // done\r\n"
    "end with spaces  ";

QString idsToString(const std::vector<int32_t>& ids) {
    QStringList parts;
    for (int32_t id : ids) parts << QString::number(id);
    return "[" + parts.join(", ") + "]";
}

#define COMPARE_IDS(actual, expected)                                                                   \
    do {                                                                                                \
        const std::vector<int32_t> a_ = (actual), e_ = (expected);                                      \
        QVERIFY2(a_ == e_, qPrintable("got " + idsToString(a_) + "\n   expected " + idsToString(e_))); \
    } while (0)

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Writes GGUF metadata-only files, so tests can build tiny or broken vocabularies.
struct GgufBuilder {
    std::vector<uint8_t> b;
    uint64_t kvs = 0;

    template <typename T>
    void put(T v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
    }
    void str(std::string_view s) {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
    }
    GgufBuilder& string(std::string_view key, std::string_view value) {
        str(key), put<uint32_t>(8), str(value), ++kvs;
        return *this;
    }
    GgufBuilder& strings(std::string_view key, const std::vector<std::string>& values) {
        str(key), put<uint32_t>(9), put<uint32_t>(8), put<uint64_t>(values.size());
        for (const auto& v : values) str(v);
        ++kvs;
        return *this;
    }
    GgufBuilder& floats(std::string_view key, const std::vector<float>& values) {
        str(key), put<uint32_t>(9), put<uint32_t>(6), put<uint64_t>(values.size());
        for (float v : values) put(v);
        ++kvs;
        return *this;
    }
    GgufBuilder& ints(std::string_view key, const std::vector<int32_t>& values) {
        str(key), put<uint32_t>(9), put<uint32_t>(5), put<uint64_t>(values.size());
        for (int32_t v : values) put(v);
        ++kvs;
        return *this;
    }
    GgufBuilder& u32(std::string_view key, uint32_t value) {
        str(key), put<uint32_t>(4), put(value), ++kvs;
        return *this;
    }
    GgufBuilder& boolean(std::string_view key, bool value) {
        str(key), put<uint32_t>(7), put<uint8_t>(value), ++kvs;
        return *this;
    }
    std::vector<uint8_t> bytes() const {
        GgufBuilder h;
        h.put<uint32_t>(0x46554747), h.put<uint32_t>(3), h.put<uint64_t>(0), h.put<uint64_t>(kvs);
        h.b.insert(h.b.end(), b.begin(), b.end());
        return h.b;
    }
};

std::unique_ptr<Tokenizer> tokenizerFrom(const GgufBuilder& builder) {
    const std::vector<uint8_t> bytes = builder.bytes();
    gguf::GgufFile file(std::span<const uint8_t>(bytes.data(), bytes.size()), "tiny.gguf");
    return Tokenizer::fromGguf(file);
}

void expectError(const GgufBuilder& builder, ErrorKind kind, const char* needle) {
    try {
        tokenizerFrom(builder);
        QFAIL(qPrintable(QString("expected an error containing '%1'").arg(needle)));
    } catch (const Error& e) {
        QCOMPARE(e.kind(), kind);
        QVERIFY2(QString::fromUtf8(e.what()).contains(needle), e.what());
    }
}

// A SentencePiece vocabulary where "▁a" + "b" and "▁" + "ab" compete: which
// wins depends on the scores only.
GgufBuilder tinySpm(float scoreLeadingA, float scoreAb) {
    GgufBuilder g;
    g.string("tokenizer.ggml.model", "llama")
        .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "<0x21>", "c"})
        .floats("tokenizer.ggml.scores", {0, 0, 0, -1, -2, -2, scoreLeadingA, scoreAb, 0, -3})
        .ints("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1, 6, 1});
    return g;
}

// A byte-level BPE vocabulary over "a", "b", "c" with the given merge order.
GgufBuilder tinyBpe(const std::vector<std::string>& merges) {
    GgufBuilder g;
    g.string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", "gpt-2")
        .strings("tokenizer.ggml.tokens", {"<|endoftext|>", "a", "b", "c", "Ġ", "ab", "bc", "abc", "Ġa"})
        .ints("tokenizer.ggml.token_type", {3, 1, 1, 1, 1, 1, 1, 1, 1})
        .strings("tokenizer.ggml.merges", merges)
        .u32("tokenizer.ggml.eos_token_id", 0);
    return g;
}

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

    std::map<QString, std::unique_ptr<Tokenizer>> loaded_;

    // Loads each model's tokenizer once for the whole run.
    const Tokenizer& tokenizer(const std::filesystem::path& path) {
        const QString key = QString::fromStdString(path.string());
        auto& slot = loaded_[key];
        if (!slot) {
            gguf::GgufFile file(path);
            slot = Tokenizer::fromGguf(file);
        }
        return *slot;
    }

    static const char* modelFile(const QString& key) {
        if (key == "stories260K") return test::kStories;
        if (key == "smollm2") return test::kSmolLM2;
        return test::kGemma3;
    }

private slots:
    void matchesLlamaCppIds_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("addSpecial");
        QTest::addColumn<bool>("parseSpecial");
        QTest::addColumn<QList<int>>("expected");
        QFile f(QString(kDataDir) + "/cases.json");
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
        const QJsonArray cases = QJsonDocument::fromJson(f.readAll()).array();
        QVERIFY(cases.size() >= 10);
        for (const auto& value : cases) {
            const QJsonObject c = value.toObject();
            const QJsonObject ids = c["ids"].toObject();
            for (auto it = ids.begin(); it != ids.end(); ++it) {
                QList<int> expected;
                for (const auto& id : it.value().toArray()) expected << id.toInt();
                QTest::newRow(qPrintable(it.key() + ": " + c["name"].toString()))
                    << it.key() << c["text"].toString() << c["addSpecial"].toBool() << c["parseSpecial"].toBool()
                    << expected;
            }
        }
    }

    void matchesLlamaCppIds() {
        QFETCH(QString, model);
        QFETCH(QString, text);
        QFETCH(bool, addSpecial);
        QFETCH(bool, parseSpecial);
        QFETCH(QList<int>, expected);
        NIBBLE_REQUIRE_MODEL(path, modelFile(model));
        const Tokenizer& tok = tokenizer(path);
        const std::vector<int32_t> ids = tok.encode(text.toStdString(), addSpecial, parseSpecial);
        COMPARE_IDS(ids, std::vector<int32_t>(expected.begin(), expected.end()));
    }

    void storiesGoldenGeneration() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const Tokenizer& tok = tokenizer(path);
        const auto dir = test::goldenDir() / "stories260K";
        const std::string text = readFile(dir / "greedy-from-bos-256.txt");
        std::vector<int32_t> ids;
        std::istringstream in(readFile(dir / "greedy-from-bos-256.ids.txt"));
        for (int32_t id; in >> id;) ids.push_back(id);
        QCOMPARE(ids.size(), size_t(256));
        QVERIFY(!text.empty());

        // The generated ids decode to the published text, byte for byte (the
        // file adds a final newline that the 256 ids do not hold).
        QVERIFY(text.back() == '\n');
        const std::string generated = text.substr(0, text.size() - 1);
        QCOMPARE(QString::fromStdString(tok.decode(ids)), QString::fromStdString(generated));
        // SentencePiece's segmentation of that text is unambiguous here: the
        // model generated exactly the pieces the tokenizer picks.
        COMPARE_IDS(tok.encode(generated, false, false), ids);
    }

    void storiesGoldenPrompts() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const Tokenizer& tok = tokenizer(path);
        // Each prompt block is "### prompt: P" then " P..." as llama.cpp printed
        // it after a BOS: the leading space the prefix added stays visible there.
        const std::string golden = readFile(test::goldenDir() / "stories260K" / "greedy-prompts-48.txt");
        std::istringstream in(golden);
        int prompts = 0;
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("### prompt: ", 0) != 0) continue;
            const std::string prompt = line.substr(12);
            std::string output;
            std::getline(in, output);
            std::vector<int32_t> ids = tok.encode(prompt, true, false);
            QCOMPARE(ids.front(), tok.bos());
            QCOMPARE(QString::fromStdString(tok.decode(ids)), QString::fromStdString(prompt));
            std::string withSpace;
            for (size_t k = 1; k < ids.size(); ++k) withSpace += tok.tokenBytes(ids[k]);
            QVERIFY2(output.rfind(withSpace, 0) == 0, output.c_str());
            ++prompts;
        }
        QCOMPARE(prompts, 3);
    }

    void roundTripsExactly_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<bool>("addSpecial");
        for (const char* m : {"stories260K", "smollm2", "gemma3"}) {
            QTest::newRow(qPrintable(QString(m) + " plain")) << QString(m) << false;
            QTest::newRow(qPrintable(QString(m) + " with BOS")) << QString(m) << true;
        }
    }

    void roundTripsExactly() {
        QFETCH(QString, model);
        QFETCH(bool, addSpecial);
        NIBBLE_REQUIRE_MODEL(path, modelFile(model));
        const Tokenizer& tok = tokenizer(path);
        for (const std::string& text : {std::string(kMixedText), std::string(" leading space"), std::string("x"),
                                       std::string("  \n\t "), std::string("<|im_start|><start_of_turn>")}) {
            const std::vector<int32_t> ids = tok.encode(text, addSpecial, false);
            QVERIFY(!ids.empty());
            QCOMPARE(QString::fromStdString(tok.decode(ids)), QString::fromStdString(text));
        }
    }

    void parsesSpecialTokensOnlyWhenAsked() {
        NIBBLE_REQUIRE_MODEL(smolPath, test::kSmolLM2);
        const Tokenizer& smol = tokenizer(smolPath);
        const std::string chat = "<|im_start|>user";
        COMPARE_IDS(smol.encode(chat, false, true), (std::vector<int32_t>{1, 4093}));
        const std::vector<int32_t> plain = smol.encode(chat, false, false);
        QVERIFY(plain.size() > 3);
        QVERIFY(std::find(plain.begin(), plain.end(), 1) == plain.end());
        QCOMPARE(QString::fromStdString(smol.decode(plain)), QString::fromStdString(chat));
        // A parsed control token decodes to nothing but renders as its text on request.
        QCOMPARE(smol.decode(std::vector<int32_t>{1, 4093}), std::string("user"));
        QCOMPARE(smol.tokenText(1), std::string("<|im_start|>"));

        NIBBLE_REQUIRE_MODEL(gemmaPath, test::kGemma3);
        const Tokenizer& gemma = tokenizer(gemmaPath);
        COMPARE_IDS(gemma.encode("<start_of_turn>", false, true), (std::vector<int32_t>{105}));
        const std::vector<int32_t> text = gemma.encode("<start_of_turn>", false, false);
        QVERIFY(text.size() > 1);
        QVERIFY(std::find(text.begin(), text.end(), 105) == text.end());
        QCOMPARE(gemma.decode(text), std::string("<start_of_turn>"));
    }

    void knowsSpecialTokens() {
        NIBBLE_REQUIRE_MODEL(smolPath, test::kSmolLM2);
        const Tokenizer& smol = tokenizer(smolPath);
        QCOMPARE(smol.vocabSize(), 49152);
        QCOMPARE(smol.bos(), 1);
        QCOMPARE(smol.eos(), 2);
        QVERIFY(!smol.addBos());
        QVERIFY(smol.isEndOfGeneration(2));   // <|im_end|>
        QVERIFY(smol.isEndOfGeneration(0));   // <|endoftext|>
        QVERIFY(smol.isEndOfGeneration(4));   // <reponame>: llama.cpp's fill-in-the-middle repo token
        QVERIFY(!smol.isEndOfGeneration(1));  // <|im_start|>
        QVERIFY(!smol.isEndOfGeneration(4093));
        QVERIFY(!smol.isEndOfGeneration(-1));
        QVERIFY(!smol.isEndOfGeneration(49152));
        QVERIFY(smol.isControl(2));
        QVERIFY(!smol.isControl(4093));
        QCOMPARE(smol.tokenPiece(2), std::string("<|im_end|>"));
        QCOMPARE(smol.tokenBytes(2), std::string());
        QCOMPARE(smol.tokenPiece(905), std::string("Ġworld"));
        QCOMPARE(smol.tokenBytes(905), std::string(" world"));
        QCOMPARE(smol.tokenBytes(198), std::string("\n"));  // "Ċ"
        QVERIFY_THROWS_EXCEPTION(Error, smol.tokenBytes(49152));
        QVERIFY_THROWS_EXCEPTION(Error, smol.tokenPiece(-1));

        NIBBLE_REQUIRE_MODEL(gemmaPath, test::kGemma3);
        const Tokenizer& gemma = tokenizer(gemmaPath);
        QCOMPARE(gemma.vocabSize(), 262144);
        QCOMPARE(gemma.bos(), 2);
        QCOMPARE(gemma.eos(), 1);
        QVERIFY(gemma.addBos());
        QVERIFY(gemma.isEndOfGeneration(1));    // <eos>
        QVERIFY(gemma.isEndOfGeneration(106));  // <end_of_turn>
        QVERIFY(!gemma.isEndOfGeneration(105));
        QCOMPARE(gemma.tokenPiece(1902), std::string("▁world"));
        QCOMPARE(gemma.tokenBytes(1902), std::string(" world"));
        QCOMPARE(gemma.tokenBytes(248), std::string("\n"));  // <0x0A>

        NIBBLE_REQUIRE_MODEL(storiesPath, test::kStories);
        const Tokenizer& stories = tokenizer(storiesPath);
        QCOMPARE(stories.vocabSize(), 512);
        QCOMPARE(stories.bos(), 1);
        QCOMPARE(stories.eos(), 2);
        QVERIFY(stories.addBos());
        QVERIFY(stories.isEndOfGeneration(2));
        QVERIFY(!stories.isEndOfGeneration(1));
        QCOMPARE(stories.tokenPiece(13), std::string("<0x0A>"));
        QCOMPARE(stories.tokenBytes(13), std::string("\n"));
    }

    void streamsSplitEmojiAsValidUtf8() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const Tokenizer& tok = tokenizer(path);
        // stories260K has no emoji pieces: 👋 arrives as four byte tokens.
        const std::vector<int32_t> ids = tok.encode("a👋b", false, false);
        int byteTokens = 0;
        Utf8StreamDecoder decoder;
        std::string shown;
        for (int32_t id : ids) {
            const std::string bytes = tok.tokenBytes(id);
            byteTokens += bytes.size() == 1 && static_cast<uint8_t>(bytes[0]) >= 0x80;
            const std::string out = decoder.push(bytes);
            QVERIFY2(utf8::isValid(out), "decoder emitted invalid UTF-8");
            shown += out;
        }
        QCOMPARE(byteTokens, 4);
        QCOMPARE(decoder.flush(), std::string());
        QCOMPARE(shown, std::string(" a👋b"));
    }

    void streamDecoderHoldsAndReplaces() {
        Utf8StreamDecoder d;
        QCOMPARE(d.push("ab"), std::string("ab"));
        QCOMPARE(d.push("\xF0\x9F"), std::string());
        QCOMPARE(d.push("\x91"), std::string());
        QCOMPARE(d.push("\x8B!"), std::string("👋!"));
        QCOMPARE(d.push("\xC3"), std::string());
        QCOMPARE(d.push("\xA9\xE2\x82"), std::string("é"));
        QCOMPARE(d.flush(), std::string("\xEF\xBF\xBD"));  // the unfinished "€" at the end
        // Bytes that can never start or continue a character become U+FFFD at once.
        QCOMPARE(d.push("\xFFx\x80y"), std::string("\xEF\xBF\xBDx\xEF\xBF\xBDy"));
        QCOMPARE(d.push("\xED\xA0\x80"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));  // a surrogate
        QCOMPARE(d.push("\xE2\x82z"), std::string("\xEF\xBF\xBDz"));
        QCOMPARE(d.flush(), std::string());
    }

    void mergesSentencePiecesByScore() {
        // "ab" scores higher: "▁" + "ab"; "▁a" scores higher: "▁a" + "b".
        auto byAb = tinySpm(-5, -1);
        auto tok = tokenizerFrom(byAb);
        COMPARE_IDS(tok->encode("ab", false, false), (std::vector<int32_t>{3, 7}));
        auto byLeadingA = tinySpm(-1, -5);
        tok = tokenizerFrom(byLeadingA);
        COMPARE_IDS(tok->encode("ab", false, false), (std::vector<int32_t>{6, 5}));
        // BOS by default, each space escaped, unknown characters as byte
        // tokens or, lacking those, the unknown token; "<s>" is text unless parsed.
        COMPARE_IDS(tok->encode("ab c!", true, false), (std::vector<int32_t>{1, 6, 5, 3, 9, 8}));
        COMPARE_IDS(tok->encode("a?", false, false), (std::vector<int32_t>{6, 0}));
        COMPARE_IDS(tok->encode("<s>a", false, true), (std::vector<int32_t>{1, 6}));
        QCOMPARE(tok->decode(tok->encode("ab c!", true, false)), std::string("ab c!"));
        QVERIFY(tok->isEndOfGeneration(2));  // "</s>"
    }

    void mergesBytePairsByRank() {
        auto bcFirst = tinyBpe({"b c", "a b", "a bc", "Ġ a"});
        auto tok = tokenizerFrom(bcFirst);
        COMPARE_IDS(tok->encode("abc", false, false), (std::vector<int32_t>{7}));
        auto abFirst = tinyBpe({"a b", "b c", "Ġ a"});
        tok = tokenizerFrom(abFirst);
        COMPARE_IDS(tok->encode("abc", false, false), (std::vector<int32_t>{5, 3}));
        COMPARE_IDS(tok->encode("c a", false, false), (std::vector<int32_t>{3, 8}));
        QCOMPARE(tok->decode(tok->encode("c ab", false, false)), std::string("c ab"));
        QCOMPARE(tok->bos(), -1);  // llama.cpp's default id 11 is outside this vocabulary
        QCOMPARE(tok->eos(), 0);
        QVERIFY(tok->isEndOfGeneration(0));
        // Ill-formed UTF-8 is read as U+FFFD, as llama.cpp does, never passed to the regex.
        COMPARE_IDS(tok->encode("a\xFF\xC3", false, false), (std::vector<int32_t>{1}));
    }

    void rejectsBrokenVocabularies() {
        GgufBuilder shortScores;
        shortScores.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
            .floats("tokenizer.ggml.scores", {0, 0});
        expectError(shortScores, ErrorKind::InvalidFile, "tokenizer.ggml.scores has 2 entries for 3 tokens");

        GgufBuilder shortTypes;
        shortTypes.string("tokenizer.ggml.model", "llama")
            .strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
            .ints("tokenizer.ggml.token_type", {2, 3});
        expectError(shortTypes, ErrorKind::InvalidFile, "token_type has 2 entries for 3 tokens");

        GgufBuilder unknownModel;
        unknownModel.string("tokenizer.ggml.model", "rwkv").strings("tokenizer.ggml.tokens", {"a"});
        expectError(unknownModel, ErrorKind::Unsupported, "\"rwkv\" is not supported");

        GgufBuilder noModel;
        noModel.strings("tokenizer.ggml.tokens", {"a"});
        expectError(noModel, ErrorKind::InvalidFile, "tokenizer.ggml.model is missing");

        GgufBuilder noTokens;
        noTokens.string("tokenizer.ggml.model", "llama");
        expectError(noTokens, ErrorKind::InvalidFile, "tokenizer.ggml.tokens");

        GgufBuilder duplicate;
        duplicate.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"<unk>", "<s>", "<s>"});
        expectError(duplicate, ErrorKind::InvalidFile, "tokens 1 and 2 have the same text");

        GgufBuilder noMerges;
        noMerges.string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b"});
        expectError(noMerges, ErrorKind::InvalidFile, "tokenizer.ggml.merges");

        GgufBuilder badPre;
        badPre.string("tokenizer.ggml.model", "gpt2")
            .string("tokenizer.ggml.pre", "no-such-pre")
            .strings("tokenizer.ggml.tokens", {"a", "b"})
            .strings("tokenizer.ggml.merges", {"a b"});
        expectError(badPre, ErrorKind::Unsupported, "\"no-such-pre\"");

        GgufBuilder bosWithoutToken;
        bosWithoutToken.string("tokenizer.ggml.model", "gpt2")
            .strings("tokenizer.ggml.tokens", {"a", "b"})
            .strings("tokenizer.ggml.merges", {"a b"})
            .boolean("tokenizer.ggml.add_bos_token", true);
        expectError(bosWithoutToken, ErrorKind::InvalidFile, "add_bos_token");
    }

    void tokenizesLongTextQuickly_data() {
        QTest::addColumn<QString>("model");
        for (const char* m : {"stories260K", "smollm2", "gemma3"}) QTest::newRow(m) << QString(m);
    }

    void tokenizesLongTextQuickly() {
        QFETCH(QString, model);
        NIBBLE_REQUIRE_MODEL(path, modelFile(model));
        QElapsedTimer load;
        load.start();
        gguf::GgufFile file(path);
        const auto fresh = Tokenizer::fromGguf(file);
        const qint64 loadMs = load.elapsed();

        std::string text;
        while (text.size() < 10000) text += kMixedText;
        QElapsedTimer timer;
        timer.start();
        const std::vector<int32_t> ids = fresh->encode(text, true, true);
        const qint64 encodeMs = timer.elapsed();
        qInfo("%s: load %lld ms, %zu bytes -> %zu tokens in %lld ms", qPrintable(model), loadMs, text.size(),
              ids.size(), encodeMs);
        QCOMPARE(fresh->decode(ids), text);
        // Generous bounds (sanitizer builds, shared cores) that still catch
        // quadratic behaviour, which takes seconds here.
        QVERIFY2(encodeMs < 1000, qPrintable(QString::number(encodeMs)));
        QVERIFY2(loadMs < 5000, qPrintable(QString::number(loadMs)));
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
