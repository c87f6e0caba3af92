// Making precision variants: GGUF files written right, quality as the
// established tool measures it, importance-aware 4-bit better than plain,
// and the comparison figures consistent with themselves.
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "nibble/engine.h"
#include "nibble/evaluation.h"
#include "nibble/quantize.h"
#include "quant/sequential_compensation.h"
#include "tensor/dequantize.h"
#include "engine_test_helpers.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace nibble;

namespace {

double mib(uint64_t bytes) { return double(bytes) / (1 << 20); }

std::vector<std::string> filesIn(const QTemporaryDir& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.path().toStdString())) out.push_back(e.path().filename().string());
    return out;
}

}  // namespace

class TestQuantizeModel : public QObject {
    Q_OBJECT
private slots:
    // ../shared/golden/README.md: stories260K, ffn_down kept F32, evaluated with n_ctx 128.
    void storiesVariantsMatchTheGoldenTable() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        struct Row {
            const char* type;
            double mib, kld, kldError;
        };
        const Row table[] = {{"Q8_0", 0.45, 0.000610, 0.000040}, {"Q4_1", 0.37, 0.057073, 0.004403}, {"Q4_0", 0.36, 0.069131, 0.005236}};
        std::vector<std::filesystem::path> variants;
        for (const Row& row : table) {
            variants.push_back(dir.path().toStdString() + "/" + row.type + ".gguf");
            QuantizeOptions o;
            o.recipe = row.type;
            QuantizeResult r = quantizeModel(source, variants.back(), o);
            QCOMPARE(r.tensorTypes.at("F32"), 5 + 11);  // ffn_down of each layer and the norms stay F32
            QVERIFY(r.warnings.empty());
        }
        CompareOptions options;
        options.text = test::goldenEvalText();
        options.nCtx = 128;
        options.speedTokens = 0;
        auto results = compareModels(source, variants, options);
        QCOMPARE(results.size(), size_t(4));
        QCOMPARE(results[0].kldMean, 0.0);
        QCOMPARE(results[0].sameTopPercent, 100.0);
        QVERIFY(std::abs(results[0].perplexity - 3.5129) < 0.001);
        for (size_t i = 0; i < 3; ++i) {
            const Row& row = table[i];
            const VariantQuality& q = results[i + 1];
            QCOMPARE(std::round(mib(q.weightBytes) * 100) / 100, row.mib);
            if (std::string(row.type) == "Q8_0") {
                // The established engine rounds activations to 8 bits before
                // Q8_0 products, which doubles its figure; llama-perplexity
                // scoring our Q8_0 file gives 0.000627 +/- 0.000044, inside
                // the table's bars. Our float evaluation must be below it.
                QVERIFY2(q.kldMean > 0 && q.kldMean < row.kld, qPrintable(QString::number(q.kldMean, 'g', 6)));
            } else {
                QVERIFY2(std::abs(q.kldMean - row.kld) <= row.kldError,
                         qPrintable(QString("%1: KLD %2, table %3").arg(row.type).arg(q.kldMean).arg(row.kld)));
            }
        }
    }

    void importanceAwareFourBitBeatsTheTable() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        std::vector<std::filesystem::path> variants;
        double plainBits[2] = {};
        const char* types[2] = {"Q4_0", "Q4_1"};
        for (int i = 0; i < 2; ++i) {
            QuantizeOptions o;
            o.recipe = types[i];
            plainBits[i] = quantizeModel(source, dir.path().toStdString() + "/plain.gguf", o).bitsPerWeight;
            o.calibrate = true;  // the built-in calibration text, not the evaluation text
            variants.push_back(dir.path().toStdString() + "/" + types[i] + "-importance.gguf");
            QuantizeResult r = quantizeModel(source, variants.back(), o);
            QCOMPARE(r.bitsPerWeight, plainBits[i]);
        }
        CompareOptions options;
        options.text = test::goldenEvalText();
        options.nCtx = 128;
        options.speedTokens = 0;
        auto results = compareModels(source, variants, options);
        QVERIFY2(results[1].kldMean < 0.069131, qPrintable(QString::number(results[1].kldMean)));  // table's Q4_0
        QVERIFY2(results[2].kldMean < 0.057073, qPrintable(QString::number(results[2].kldMean)));  // table's Q4_1
    }

    // The non-linear 4-bit recipes write the types and file types the
    // established tool does, and at Q4_0's size lose less than the table's
    // Q4_0 (0.0491 measured, plain; 0.0473 with the built-in calibration).
    void nonLinearFourBitRecipes() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        std::vector<std::filesystem::path> variants;
        for (const std::string recipe : {"IQ4_NL", "IQ4_XS"}) {
            variants.push_back(dir.path().toStdString() + "/" + recipe + ".gguf");
            QuantizeOptions o;
            o.recipe = recipe;
            const QuantizeResult r = quantizeModel(source, variants.back(), o);
            // Rows of 64 do not fill IQ4_XS's super-blocks: they take IQ4_NL, as in the established tool.
            QCOMPARE(r.tensorTypes.at("IQ4_NL"), 31);
            QCOMPARE(r.tensorTypes.at("Q8_0"), 1);  // the output matrix, whose rows are not 256 long either
            QCOMPARE(*gguf::GgufFile(variants.back()).getInt("general.file_type"), int64_t(recipe == "IQ4_NL" ? 25 : 30));
        }
        CompareOptions options;
        options.text = test::goldenEvalText();
        options.nCtx = 128;
        options.speedTokens = 0;
        auto results = compareModels(source, variants, options);
        QCOMPARE(std::round(mib(results[1].weightBytes) * 100) / 100, 0.36);  // the table's Q4_0 size
        QVERIFY2(results[1].kldMean < 0.06, qPrintable(QString::number(results[1].kldMean)));
        QCOMPARE(results[2].kldMean, results[1].kldMean);
    }

    // Error compensation (GPTQ's sequential mode) against the plain recipe
    // and today's importance-aware one, calibrated on the built-in text (the
    // compensation on text the model writes too, never the evaluation text)
    // and scored on the golden evaluation text; issue 17 asks for 0.7x of
    // both. Measured: Q4_0 0.0692 / 0.0628 -> 0.0325 (0.52x), Q4_K_M
    // 0.0131 / 0.0124 -> 0.0074 (0.60x), IQ4_XS 0.0491 / 0.0473 -> 0.0255 (0.54x).
    void errorCompensationBeatsPlainAndImportanceAware() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        struct Row {
            const char* recipe;
            double atMost;  // compensated KLD / the better of the other two
        };
        const Row rows[] = {{"Q4_0", 0.7}, {"Q4_K_M", 0.7}, {"IQ4_XS", 0.7}};
        std::vector<std::filesystem::path> variants;
        for (const Row& row : rows) {
            QuantizeResult results[3];
            for (int method = 0; method < 3; ++method) {
                QuantizeOptions o;
                o.recipe = row.recipe;
                o.calibrate = method == 1;
                o.compensate = method == 2;
                variants.push_back(dir.path().toStdString() + "/" + row.recipe + "-" + std::to_string(method) + ".gguf");
                results[method] = quantizeModel(source, variants.back(), o);
            }
            // Same types, so the same tensor bytes; the files differ only in metadata.
            QCOMPARE(results[2].tensorTypes, results[0].tensorTypes);
            QVERIFY(std::abs(double(results[2].outputBytes) - double(results[0].outputBytes)) < 0.01 * double(results[0].outputBytes));
            QCOMPARE(results[2].bitsPerWeight, results[0].bitsPerWeight);
            gguf::GgufFile written(variants.back());
            QCOMPARE(std::string(*written.getString("nibble.quantization.method")), std::string("error-compensated (GPTQ)"));
        }
        CompareOptions options;
        options.text = test::goldenEvalText();
        options.nCtx = 128;
        options.speedTokens = 0;
        auto results = compareModels(source, variants, options);
        for (size_t i = 0; i < std::size(rows); ++i) {
            const VariantQuality& plain = results[1 + 3 * i];
            const VariantQuality& importance = results[2 + 3 * i];
            const VariantQuality& compensated = results[3 + 3 * i];
            QCOMPARE(compensated.weightBytes, plain.weightBytes);
            const double best = std::min(plain.kldMean, importance.kldMean);
            QVERIFY2(compensated.kldMean <= rows[i].atMost * best,
                     qPrintable(QString("%1: KLD %2 compensated, %3 plain, %4 importance-aware")
                                    .arg(rows[i].recipe).arg(compensated.kldMean).arg(plain.kldMean).arg(importance.kldMean)));
        }
    }

    // Activation-aware channel scales (AWQ) folded into the norms: the norms
    // the file says were scaled differ from the source's, the others and
    // every norm of a file made without them are the source's bytes, and
    // each matrix times its norm is still the source's (the sequential
    // compensation would mend a wrong fold downstream well enough to hide it
    // from the KLD). Q8_0, whose rounding is fine enough for a misfolded
    // scale to stand out: measured relative error of norm x matrix 0.0057
    // to 0.0095 unscaled, 0.88-1.07x that scaled, 0.04-0.06 with the scales
    // folded half-way; KLD 0.000184 unscaled, 0.000185 scaled.
    void channelScalesAreFoldedIntoTheNorms() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        const std::filesystem::path unscaledPath = dir.path().toStdString() + "/unscaled.gguf";
        const std::filesystem::path scaledPath = dir.path().toStdString() + "/scaled.gguf";
        QuantizeOptions o;
        o.recipe = "Q8_0";
        o.compensate = true;
        quantizeModel(source, unscaledPath, o);
        o.channelScales = true;
        quantizeModel(source, scaledPath, o);
        gguf::GgufFile original(source), unscaled(unscaledPath), scaled(scaledPath);
        QVERIFY(!unscaled.getString("nibble.quantization.channel_scales"));
        const std::string said(*scaled.getString("nibble.quantization.channel_scales"));
        auto floats = [](const gguf::GgufFile& f, const std::string& name) {
            const gguf::TensorInfo* t = f.findTensor(name);
            const int64_t n = int64_t(t->shape[0]);
            std::vector<float> out(size_t(n) * t->rows());
            for (uint64_t r = 0; r < t->rows(); ++r)
                dequantizeRow(t->type, t->data + r * (t->byteSize / t->rows()), out.data() + r * size_t(n), n);
            return out;
        };
        // |norm x W - source norm x source W| / |source norm x source W|
        auto foldError = [&](const gguf::GgufFile& f, const std::string& norm, const std::string& matrix) {
            const std::vector<float> n0 = floats(original, norm), w0 = floats(original, matrix);
            const std::vector<float> n1 = floats(f, norm), w1 = floats(f, matrix);
            double diff = 0, total = 0;
            for (size_t i = 0; i < w0.size(); ++i) {
                const double a = double(n0[i % n0.size()]) * w0[i], b = double(n1[i % n1.size()]) * w1[i];
                diff += (a - b) * (a - b);
                total += a * a;
            }
            return std::sqrt(diff / total);
        };
        const std::pair<const char*, std::vector<const char*>> groups[] = {
            {"attn_norm", {"attn_q", "attn_k", "attn_v"}}, {"ffn_norm", {"ffn_gate", "ffn_up"}}};
        int changed = 0;
        for (int l = 0; l < 5; ++l)
            for (const auto& [norm, matrices] : groups) {
                const std::string name = "blk." + std::to_string(l) + "." + norm + ".weight";
                const gguf::TensorInfo* t = original.findTensor(name);
                const std::vector<uint8_t> before(t->data, t->data + t->byteSize);
                const gguf::TensorInfo* u = unscaled.findTensor(name);
                QVERIFY2(std::vector<uint8_t>(u->data, u->data + u->byteSize) == before, name.c_str());
                const gguf::TensorInfo* s = scaled.findTensor(name);
                if (std::vector<uint8_t>(s->data, s->data + s->byteSize) != before) ++changed;
                for (const char* matrix : matrices) {
                    const std::string m = "blk." + std::to_string(l) + "." + matrix + ".weight";
                    const double plain = foldError(unscaled, name, m), folded = foldError(scaled, name, m);
                    QVERIFY2(folded < 1.5 * plain, qPrintable(QString("%1: %2 scaled, %3 unscaled")
                                                                 .arg(m.c_str()).arg(folded).arg(plain)));
                }
            }
        QVERIFY2(changed > 0, said.c_str());
        QCOMPARE(said, std::to_string(changed) + " of 10 norms (activation-aware, AWQ)");
        CompareOptions options;
        options.text = test::goldenEvalText();
        options.nCtx = 128;
        options.speedTokens = 0;
        const auto results = compareModels(source, {unscaledPath, scaledPath}, options);
        QVERIFY2(results[2].kldMean < 1.2 * results[1].kldMean,
                 qPrintable(QString("KLD %1 scaled, %2 unscaled").arg(results[2].kldMean).arg(results[1].kldMean)));

        o.compensate = false;
        try {
            quantizeModel(source, dir.path().toStdString() + "/alone.gguf", o);
            QFAIL("channel scales were accepted without error compensation");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
        }
    }

    // The scale search's extra copy of A is kept only where a norm feeds the
    // group: stories260K's widest input is ffn_down's (172 wide), the
    // norm-fed ones are 64 wide, so the scales cost no more at the peak.
    void statisticsMemoryCountsTheScalesOnlyWhereTheyAre() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        const gguf::GgufFile file(source);
        QCOMPARE(quant::sequentialStatisticsBytes(file, false), uint64_t(40 * 172 * 172));
        QCOMPARE(quant::sequentialStatisticsBytes(file, true), uint64_t(40 * 172 * 172));
    }

    void errorCompensationNeedsCalibrationText() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        QuantizeOptions o;
        o.recipe = "Q4_0";
        o.compensate = true;
        o.importanceFile = dir.path().toStdString() + "/imatrix.dat";
        try {
            quantizeModel(source, dir.path().toStdString() + "/out.gguf", o);
            QFAIL("an importance file was accepted for error compensation");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            QVERIFY(std::string(e.what()).find("calibration text") != std::string::npos);
        }
        QVERIFY(filesIn(dir).empty());
    }

    void writtenFilesKeepMetadataAndStructure() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        const std::filesystem::path out = dir.path().toStdString() + "/q8.gguf";
        QuantizeOptions o;
        o.recipe = "Q8_0";
        quantizeModel(source, out, o);
        gguf::GgufFile in(source), written(out);
        QCOMPARE(written.version(), 3u);
        QCOMPARE(*written.getInt("general.file_type"), int64_t(7));
        QCOMPARE(*written.getString("general.quantized_by"), std::string_view("Nibble"));
        for (const auto& [key, value] : in.metadata()) {
            if (key == "general.file_type") continue;
            const gguf::Value* copy = written.find(key);
            QVERIFY2(copy, std::string(key).c_str());
            QCOMPARE(copy->toDisplayString(1000), value.toDisplayString(1000));
        }
        QCOMPARE(written.tensors().size(), in.tensors().size());
        for (const auto& t : written.tensors()) {
            QCOMPARE(t.offset % written.alignment(), uint64_t(0));
            const gguf::TensorInfo* original = in.findTensor(t.name);
            QVERIFY(original);
            QCOMPARE(t.shape, original->shape);
            if (t.type == original->type) QVERIFY(std::memcmp(t.data, original->data, t.byteSize) == 0);
        }
        // The 8-bit variant runs and tells the same story as the original.
        const GenerateOptions g = test::greedy(24);
        auto greedyText = [&](const std::filesystem::path& file) {
            Session session(Model::open(file, {}));
            return QString::fromStdString(session.complete("Once upon a time", g, {}).text);
        };
        QCOMPARE(greedyText(out), greedyText(source));
    }

    void writerHonoursAlignmentAndSetValues() {
        QTemporaryDir dir;
        const std::filesystem::path out = dir.path().toStdString() + "/small.gguf";
        gguf::GgufWriter w(64);
        w.setString("general.architecture", "llama");
        w.setStringArray("tokens", {"a", "bc"});
        w.setFloat32Array("scores", {1.5f, -2.0f});
        w.setInt32Array("types", {1, 3});
        w.addTensor("x", {3}, GgmlType::F32, [] { return std::vector<uint8_t>(12, 7); });
        w.addTensor("y", {32, 2}, GgmlType::Q8_0, [] { return std::vector<uint8_t>(68, 1); });
        w.write(out);
        gguf::GgufFile f(out);
        QCOMPARE(f.alignment(), 64u);
        QCOMPARE(*f.getString("general.architecture"), std::string_view("llama"));
        QCOMPARE(f.find("tokens")->strings[1], std::string_view("bc"));
        QCOMPARE(*f.find("scores")->floatArray(), (std::vector<float>{1.5f, -2.0f}));
        QCOMPARE(*f.find("types")->intArray(), (std::vector<int64_t>{1, 3}));
        QCOMPARE(f.findTensor("y")->offset, uint64_t(64));
        QCOMPARE(f.findTensor("y")->data[67], uint8_t(1));
        QCOMPARE(filesIn(dir), std::vector<std::string>{"small.gguf"});
    }

    void cancellingLeavesNoFileBehind() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        QuantizeOptions o;
        o.recipe = "Q4_0";
        std::vector<float> seen;
        o.progress = [&](float f) {
            seen.push_back(f);
            return f < 0.5f;
        };
        try {
            quantizeModel(source, dir.path().toStdString() + "/cancelled.gguf", o);
            QFAIL("quantization was not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QVERIFY(seen.size() >= 2);
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QVERIFY(filesIn(dir).empty());
    }

    // Error compensation quantizes while it calibrates: its progress moves
    // matrix by matrix, and a cancel there stops it at once.
    void cancellingCompensationStopsBetweenMatrices() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QTemporaryDir dir;
        QuantizeOptions o;
        o.recipe = "Q4_K_M";
        o.compensate = true;
        std::vector<float> seen;
        o.progress = [&](float f) {
            seen.push_back(f);
            return f < 0.3f;
        };
        try {
            quantizeModel(source, dir.path().toStdString() + "/cancelled.gguf", o);
            QFAIL("quantization was not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        // 5 layers of 4 groups and the output: steps of about 0.04.
        QVERIFY2(seen.back() >= 0.3f && seen.back() < 0.4f, qPrintable(QString::number(seen.back())));
        QVERIFY(std::count_if(seen.begin(), seen.end(), [](float f) { return f > 0 && f < 0.3f; }) >= 5);
        QVERIFY(filesIn(dir).empty());
    }

    // Compare scores the reply a person saw when given one, and reports
    // progress from loading on (a bar that sat empty while the models
    // loaded looked stuck), so cancelling works from the start too.
    void comparisonScoresGivenReplyWithProgressFromTheStart() {
        NIBBLE_REQUIRE_MODEL(smol, test::kSmolLM2);
        const std::string reply = "The sky looks blue because air scatters blue light more than red light.";
        CompareOptions options;
        options.conversations = {{{"user", "Why is the sky blue?"}}};
        options.replies = {reply};
        options.nCtx = 256;
        options.replyTokens = 128;
        options.speedTokens = 0;
        std::vector<float> seen;
        options.progress = [&](float f) {
            seen.push_back(f);
            return true;
        };
        const auto results = compareModels(smol, {smol}, options);
        const auto model = Model::open(smol, {});
        QCOMPARE(results[1].scoredTokens, int(model->tokenize(reply, false).size()));
        QCOMPARE(results[1].kldMean, 0.0);
        QVERIFY(!seen.empty());
        QVERIFY2(seen.front() > 0 && seen.front() <= 0.1f, qPrintable(QString::number(seen.front())));
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));

        // A cap on the reply's length holds for a given reply too.
        options.replyTokens = 5;
        options.progress = {};
        QCOMPARE(compareModels(smol, {smol}, options)[1].scoredTokens, 5);

        // Cancelled while the first model loads.
        options.progress = [](float) { return false; };
        try {
            compareModels(smol, {smol}, options);
            QFAIL("the comparison was not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
    }

    // A conversation is scored after the very prompt chat() evaluates for
    // it (template, start token and all): compare fits a context exactly as
    // long as that prompt and the reply, and refuses one a token shorter.
    void comparisonEncodesConversationsAsChatDoes_data() {
        QTest::addColumn<QString>("file");
        QTest::newRow("SmolLM2, no start token") << QString(test::kSmolLM2);
        QTest::newRow("Gemma 3, start token in its template") << QString(test::kGemma3);
    }
    void comparisonEncodesConversationsAsChatDoes() {
        QFETCH(QString, file);
        NIBBLE_REQUIRE_MODEL(path, file);
        const std::vector<ChatMessage> conversation{
            {"system", "You answer questions about the weather in one or two plain sentences."},
            {"user", "Why is the sky blue on a clear day, and why does it turn red at sunset?"}};
        const std::string reply = "Air scatters blue light more than red light, so the sky looks blue; at sunset the "
                                  "light crosses more air, which scatters the blue away and leaves the red.";
        const auto model = Model::open(path, {});
        const int promptTokens = Session(model).fitChat(conversation, 0).promptTokens;
        const int replyTokens = int(model->tokenize(reply, false).size());
        CompareOptions options;
        options.conversations = {conversation};
        options.replies = {reply};
        options.nCtx = promptTokens + replyTokens;
        options.replyTokens = replyTokens;
        options.speedTokens = 0;
        QVERIFY2(options.nCtx > 64, "compare never loads a context under 64 tokens");
        QCOMPARE(compareModels(path, {path}, options)[1].scoredTokens, replyTokens);
        --options.nCtx;
        try {
            compareModels(path, {path}, options);
            QFAIL("a context one token short held the conversation and its reply");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::ContextFull);
        }
    }

    void unknownRecipeIsAClearError() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        QuantizeOptions o;
        o.recipe = "Q3_XS";
        try {
            quantizeModel(source, "/tmp/never.gguf", o);
            QFAIL("accepted an unknown recipe");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            QVERIFY(QString(e.what()).contains("Q4_K_M"));
        }
        QVERIFY(!std::filesystem::exists("/tmp/never.gguf"));
    }
};

QTEST_GUILESS_MAIN(TestQuantizeModel)
#include "test_quantize_model.moc"
