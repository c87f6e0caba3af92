// GGUF reader: valid files read exactly, every malformed file gives a clear
// InvalidFile error that names the file and the problem.
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "test_models.h"

#include <QTest>

#include <cstring>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::gguf;

namespace {

// Writes GGUF bytes field by field, so tests can also write wrong ones.
struct Bytes {
    std::vector<uint8_t> b;
    template <typename T>
    Bytes& put(T v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
        return *this;
    }
    Bytes& str(std::string_view s) {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
        return *this;
    }
    Bytes& header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
        return put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(tensors).put<uint64_t>(kvs);
    }
    Bytes& kvU32(std::string_view key, uint32_t v) { return str(key).put<uint32_t>(4).put<uint32_t>(v); }
    Bytes& tensor(std::string_view name, std::vector<uint64_t> shape, uint32_t type, uint64_t offset) {
        str(name).put<uint32_t>(static_cast<uint32_t>(shape.size()));
        for (uint64_t d : shape) put<uint64_t>(d);
        return put<uint32_t>(type).put<uint64_t>(offset);
    }
    Bytes& padTo(size_t alignment) {
        while (b.size() % alignment) b.push_back(0);
        return *this;
    }
    Bytes& zeros(size_t n) {
        b.insert(b.end(), n, 0);
        return *this;
    }
};

// A small valid file: every scalar type, a string array, a nested array, two tensors.
Bytes validFile() {
    Bytes f;
    f.header(2, 16);
    f.str("u8").put<uint32_t>(0).put<uint8_t>(200);
    f.str("i8").put<uint32_t>(1).put<int8_t>(-5);
    f.str("u16").put<uint32_t>(2).put<uint16_t>(60000);
    f.str("i16").put<uint32_t>(3).put<int16_t>(-30000);
    f.kvU32("u32", 4000000000u);
    f.str("i32").put<uint32_t>(5).put<int32_t>(-2000000000);
    f.str("f32").put<uint32_t>(6).put<float>(1.5f);
    f.str("bool").put<uint32_t>(7).put<uint8_t>(1);
    f.str("general.architecture").put<uint32_t>(8).str("llama");
    f.str("u64").put<uint32_t>(10).put<uint64_t>(1ull << 40);
    f.str("i64").put<uint32_t>(11).put<int64_t>(-(1ll << 40));
    f.str("f64").put<uint32_t>(12).put<double>(0.25);
    f.str("tokens").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(3).str("a").str("").str("héllo");
    f.str("scores").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(2).put<float>(-1.0f).put<float>(2.5f);
    f.str("nested").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(1).put<uint32_t>(5).put<uint64_t>(2)
        .put<int32_t>(7).put<int32_t>(-7);
    f.kvU32("general.alignment", 32);
    f.tensor("a.weight", {4, 2}, 0, 0);       // F32, 32 bytes
    f.tensor("b.weight", {32, 1}, 8, 32);     // Q8_0, 34 bytes
    f.padTo(32);
    for (int k = 0; k < 8; ++k) f.put<float>(float(k));
    f.zeros(34);
    return f;
}

void expectInvalid(const std::vector<uint8_t>& bytes, const char* needle) {
    try {
        GgufFile file(std::span<const uint8_t>(bytes.data(), bytes.size()), "bad.gguf");
        QFAIL(qPrintable(QString("expected an error containing '%1'").arg(needle)));
    } catch (const Error& e) {
        QCOMPARE(e.kind(), ErrorKind::InvalidFile);
        QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.startsWith("bad.gguf: "), qPrintable(msg));
        QVERIFY2(msg.contains(needle), qPrintable(msg));
    }
}

}  // namespace

class TestGgufReader : public QObject {
    Q_OBJECT
private slots:
    void readsEveryValueType() {
        Bytes f = validFile();
        GgufFile file(std::span<const uint8_t>(f.b.data(), f.b.size()), "valid.gguf");
        QCOMPARE(file.version(), 3u);
        QCOMPARE(file.metadata().size(), size_t(16));
        QCOMPARE(*file.getInt("u8"), int64_t(200));
        QCOMPARE(*file.getInt("i8"), int64_t(-5));
        QCOMPARE(*file.getInt("u16"), int64_t(60000));
        QCOMPARE(*file.getInt("i16"), int64_t(-30000));
        QCOMPARE(*file.getInt("u32"), int64_t(4000000000ll));
        QCOMPARE(*file.getInt("i32"), int64_t(-2000000000));
        QCOMPARE(*file.getFloat("f32"), 1.5);
        QCOMPARE(*file.getBool("bool"), true);
        QCOMPARE(*file.getString("general.architecture"), std::string_view("llama"));
        QCOMPARE(*file.getInt("u64"), int64_t(1) << 40);
        QCOMPARE(*file.getInt("i64"), -(int64_t(1) << 40));
        QCOMPARE(*file.getFloat("f64"), 0.25);
        const Value* tokens = file.find("tokens");
        QVERIFY(tokens);
        QCOMPARE(tokens->strings.size(), size_t(3));
        QCOMPARE(tokens->strings[2], std::string_view("héllo"));
        QCOMPARE(*file.find("scores")->floatArray(), (std::vector<float>{-1.0f, 2.5f}));
        const Value* nested = file.find("nested");
        QCOMPARE(nested->items.size(), size_t(1));
        QCOMPARE(*nested->items[0].intArray(), (std::vector<int64_t>{7, -7}));
        QVERIFY(!file.find("missing"));
        QVERIFY(!file.getString("u8"));  // wrong type is absent, not coerced

        QCOMPARE(file.tensors().size(), size_t(2));
        const TensorInfo* a = file.findTensor("a.weight");
        QVERIFY(a);
        QCOMPARE(a->shape, (std::vector<uint64_t>{4, 2}));
        QCOMPARE(a->byteSize, uint64_t(32));
        QCOMPARE(a->rows(), uint64_t(2));
        float third;
        std::memcpy(&third, a->data + 8, 4);
        QCOMPARE(third, 2.0f);
        QCOMPARE(file.findTensor("b.weight")->type, GgmlType::Q8_0);
        QCOMPARE(file.findTensor("b.weight")->byteSize, uint64_t(34));
        QCOMPARE(file.dataOffset() % 32, uint64_t(0));
    }

    void readsVersion2() {
        Bytes f;
        f.header(0, 1, 2).kvU32("x", 1);
        GgufFile file(std::span<const uint8_t>(f.b.data(), f.b.size()), "v2.gguf");
        QCOMPARE(file.version(), 2u);
        QCOMPARE(*file.getInt("x"), int64_t(1));
    }

    void everyTruncationIsAClearError() {
        Bytes f = validFile();
        for (size_t n = 0; n < f.b.size(); ++n) {
            std::vector<uint8_t> cut(f.b.begin(), f.b.begin() + n);
            try {
                GgufFile file(std::span<const uint8_t>(cut.data(), cut.size()), "cut.gguf");
                QFAIL(qPrintable(QString("a file cut to %1 bytes was accepted").arg(n)));
            } catch (const Error& e) {
                QCOMPARE(e.kind(), ErrorKind::InvalidFile);
                QString msg = e.what();
                QVERIFY2(msg.contains("truncated") || msg.contains("too small") || msg.contains("past the end") ||
                             msg.contains("more than"),
                         qPrintable(QString("cut at %1: %2").arg(n).arg(msg)));
            }
        }
    }

    void malformedHeaders() {
        expectInvalid(Bytes().put<uint32_t>(0x12345678).put<uint32_t>(3).zeros(16).b, "bad magic");
        expectInvalid(Bytes().header(0, 0, 1).b, "version 1");
        expectInvalid(Bytes().header(0, 0, 99).b, "unsupported GGUF version 99");
        expectInvalid(Bytes().header(0, 0, 0x03000000).b, "big-endian");
        expectInvalid(Bytes().header(0, 1ull << 60).b, "metadata entries");
        expectInvalid(Bytes().header(1ull << 60, 0).b, "tensors, more than");
    }

    void malformedMetadata() {
        expectInvalid(Bytes().header(0, 1).put<uint64_t>(1ull << 62).zeros(16).b, "claims a length");
        expectInvalid(Bytes().header(0, 1).str("k").put<uint32_t>(77).zeros(8).b, "unknown value type 77");
        expectInvalid(Bytes().header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(1ull << 61).b,
                      "array elements");
        expectInvalid(Bytes().header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(50).put<uint64_t>(1).b,
                      "array of unknown type");
        expectInvalid(Bytes().header(0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2).b, "bool with value 2");
        expectInvalid(Bytes().header(0, 2).kvU32("k", 1).kvU32("k", 2).b, "appears twice");
        expectInvalid(Bytes().header(0, 1).kvU32("general.alignment", 3).b, "power of two");
        expectInvalid(Bytes().header(0, 1).kvU32("general.alignment", 0).b, "power of two");
        Bytes deep;
        deep.header(0, 1).str("k").put<uint32_t>(9);
        for (int d = 0; d < 10; ++d) deep.put<uint32_t>(9).put<uint64_t>(1);
        deep.put<uint32_t>(4).put<uint64_t>(0);
        expectInvalid(deep.b, "nests arrays too deeply");
    }

    void malformedTensors() {
        auto one = [](std::vector<uint64_t> shape, uint32_t type, uint64_t offset, size_t data) {
            Bytes f;
            f.header(1, 0).tensor("blk.3.ffn_up.weight", std::move(shape), type, offset).padTo(32).zeros(data);
            return f.b;
        };
        expectInvalid(one({4, 4}, 0, 0, 63), "tensor blk.3.ffn_up.weight extends past the end of the file");
        expectInvalid(one({4, 4}, 0, 64, 64), "extends past the end");
        expectInvalid(one({4, 4}, 1000, 0, 64), "unknown type number 1000");
        expectInvalid(one({4, 4}, 0, 7, 64), "not aligned");
        expectInvalid(one({33, 1}, 8, 0, 64), "not a multiple of Q8_0's block of 32");
        expectInvalid(one({0, 4}, 0, 0, 64), "invalid dimension");
        expectInvalid(one({1ull << 32, 1ull << 32, 1ull << 32}, 0, 0, 64), "more elements than can be addressed");
        Bytes fiveDims;
        fiveDims.header(1, 0).str("t").put<uint32_t>(5);
        for (int d = 0; d < 5; ++d) fiveDims.put<uint64_t>(1);
        fiveDims.put<uint32_t>(0).put<uint64_t>(0).padTo(32).zeros(32);
        expectInvalid(fiveDims.b, "5 dimensions");

        Bytes overlap;
        overlap.header(2, 0).tensor("x", {16}, 0, 0).tensor("y", {16}, 0, 32).padTo(32).zeros(128);
        expectInvalid(overlap.b, "tensors x and y overlap");
        Bytes dup;
        dup.header(2, 0).tensor("x", {8}, 0, 0).tensor("x", {8}, 0, 32).padTo(32).zeros(64);
        expectInvalid(dup.b, "tensor name x appears twice");
    }

    void missingFileIsAnIoError() {
        try {
            GgufFile file(std::filesystem::path("/nonexistent/model.gguf"));
            QFAIL("opened a missing file");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Io);
            QVERIFY(QString(e.what()).contains("/nonexistent/model.gguf"));
        }
    }

    void readsRealStoriesModel() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        GgufFile file(path);
        QCOMPARE(*file.getString("general.architecture"), std::string_view("llama"));
        QCOMPARE(*file.getInt("llama.embedding_length"), int64_t(64));
        QCOMPARE(*file.getInt("llama.block_count"), int64_t(5));
        QCOMPARE(*file.getInt("llama.attention.head_count"), int64_t(8));
        QCOMPARE(*file.getInt("llama.attention.head_count_kv"), int64_t(4));
        QCOMPARE(file.find("tokenizer.ggml.tokens")->strings.size(), size_t(512));
        const TensorInfo* down = file.findTensor("blk.0.ffn_down.weight");
        QVERIFY(down);
        QCOMPARE(down->shape, (std::vector<uint64_t>{172, 64}));
        QCOMPARE(down->type, GgmlType::F32);
    }
};

QTEST_GUILESS_MAIN(TestGgufReader)
#include "test_gguf_reader.moc"
