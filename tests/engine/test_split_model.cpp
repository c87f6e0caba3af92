// A model split into parts as llama.cpp's gguf-split writes them (split.count,
// split.no, split.tensors.count; the metadata in the first part, the tensors
// spread over all) opens from its first part and gives the very logits of the
// single file; a missing or mismatched part, or a later part opened alone, is
// refused with the part named.
#include "gguf/gguf_reader.h"
#include "nibble/engine.h"
#include "nibble/error.h"
#include "split_model_writer.h"
#include "test_models.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <vector>

using namespace nibble;
using nibble::test::writeSplit;

namespace {

std::vector<float> logits(const std::filesystem::path& path) {
    LoadOptions options;
    options.backend = BackendKind::Reference;
    options.contextLength = 64;
    Session session(Model::open(path, options));
    const std::vector<int32_t> tokens{1, 400, 20, 77, 5, 300, 12, 9};
    return session.evaluate(tokens);
}

std::string errorOpening(const std::filesystem::path& path) {
    try {
        gguf::GgufFile file(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "(opened)";
}

}  // namespace

class TestSplitModel : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void splitModelGivesTheSameLogits() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        const std::filesystem::path folder = dir_.path().toStdString();
        const std::filesystem::path first = writeSplit(source, folder, "stories", 2);

        const gguf::GgufFile whole(source);
        const gguf::GgufFile split(first);
        QCOMPARE(split.partCount(), size_t(2));
        QCOMPARE(split.tensors().size(), whole.tensors().size());
        QVERIFY(split.fileSize() > std::filesystem::file_size(first));

        const std::vector<float> expected = logits(source);
        const std::vector<float> actual = logits(first);
        QCOMPARE(actual.size(), expected.size());
        QVERIFY(!expected.empty());
        QVERIFY(actual == expected);
    }

    void brokenSplitsAreRefusedWithThePartNamed() {
        NIBBLE_REQUIRE_MODEL(source, test::kStories);
        const std::filesystem::path folder = dir_.path().toStdString();
        const std::filesystem::path first = writeSplit(source, folder, "three", 3);

        const std::string second = errorOpening(folder / "three-00002-of-00003.gguf");
        QVERIFY2(second.find("is part 2 of 3 of a split model; open its first part") != std::string::npos,
                 second.c_str());

        // A part from another split of the same name stands in for part 3.
        std::filesystem::create_directories(folder / "other");
        writeSplit(source, folder / "other", "three", 2);
        std::filesystem::rename(folder / "three-00003-of-00003.gguf", folder / "kept.gguf");
        const std::string missing = errorOpening(first);
        QVERIFY2(missing.find("part 3 of 3 (three-00003-of-00003.gguf) is missing") != std::string::npos,
                 missing.c_str());
        std::filesystem::copy_file(folder / "other" / "three-00002-of-00002.gguf", folder / "three-00003-of-00003.gguf");
        const std::string mismatched = errorOpening(first);
        QVERIFY2(mismatched.find("three-00003-of-00003.gguf is not part 3 of 3 of this model") != std::string::npos,
                 mismatched.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSplitModel)
#include "test_split_model.moc"
