#pragma once
// Where tests find real models and golden reference data: NIBBLE_TEST_MODELS,
// then the cache filled by scripts/fetch-test-models, then ../shared/models
// beside the checkout. A missing model skips the test with a clear message,
// except under CI (CI=true), where every model must be present and a missing
// one fails the test instead of letting it pass unnoticed.
#include <QString>
#include <QTest>

#include <filesystem>
#include <optional>

namespace nibble::test {

std::optional<std::filesystem::path> findModel(const QString& fileName);
// ../shared/golden beside the checkout (or NIBBLE_GOLDEN).
std::filesystem::path goldenDir();
QString missingModelMessage(const QString& fileName);
bool requireModels();

inline constexpr const char* kStories = "stories260K.gguf";
inline constexpr const char* kSmolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf";
inline constexpr const char* kGemma3 = "gemma-3-270m-q4_k_m.gguf";

}  // namespace nibble::test

// Binds `var` to the model's path, or skips (fails under CI) when it is absent.
#define NIBBLE_REQUIRE_MODEL(var, fileName)                                                    \
    std::filesystem::path var;                                                                 \
    do {                                                                                       \
        auto found_ = ::nibble::test::findModel(fileName);                                     \
        if (!found_) {                                                                         \
            if (::nibble::test::requireModels())                                               \
                QFAIL(qPrintable(::nibble::test::missingModelMessage(fileName)));              \
            QSKIP(qPrintable(::nibble::test::missingModelMessage(fileName)));                  \
        }                                                                                      \
        var = *found_;                                                                         \
    } while (0)
