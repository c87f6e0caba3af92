#include "gguf/gguf_reader.h"

#include "nibble/error.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

namespace nibble::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian
constexpr uint32_t kMaxDims = 4;
// Nesting deeper than this is no real model's metadata; the bound keeps a
// crafted file from exhausting the stack.
constexpr int kMaxArrayDepth = 4;

size_t valueSize(ValueType t) {
    switch (t) {
    case ValueType::UInt8: case ValueType::Int8: case ValueType::Bool: return 1;
    case ValueType::UInt16: case ValueType::Int16: return 2;
    case ValueType::UInt32: case ValueType::Int32: case ValueType::Float32: return 4;
    case ValueType::UInt64: case ValueType::Int64: case ValueType::Float64: return 8;
    case ValueType::String: return 8;  // at least its length field
    case ValueType::Array: return 12;  // at least its type and count
    }
    return 0;
}

bool knownValueType(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::Float64); }

template <typename T>
T loadLE(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

// Bounds-checked reading position inside the file image.
class Cursor {
public:
    Cursor(std::span<const uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorKind::InvalidFile, file_ + ": " + what);
    }
    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return bytes_.size() - pos_; }

    const uint8_t* take(uint64_t n, const char* what) {
        if (n > remaining())
            fail(std::string("file is truncated while reading ") + what);
        const uint8_t* p = bytes_.data() + pos_;
        pos_ += n;
        return p;
    }
    template <typename T>
    T read(const char* what) { return loadLE<T>(take(sizeof(T), what)); }

    std::string_view string(const char* what) {
        uint64_t len = read<uint64_t>(what);
        if (len > remaining())
            fail(std::string(what) + " claims a length of " + std::to_string(len) +
                 " bytes, more than the rest of the file");
        return {reinterpret_cast<const char*>(take(len, what)), static_cast<size_t>(len)};
    }

private:
    std::span<const uint8_t> bytes_;
    const std::string& file_;
    uint64_t pos_ = 0;
};

Value readValue(Cursor& c, ValueType type, std::string_view key, int depth);

Value readArray(Cursor& c, std::string_view key, int depth) {
    if (depth > kMaxArrayDepth)
        c.fail("metadata " + std::string(key) + " nests arrays too deeply");
    Value v;
    v.type = ValueType::Array;
    uint32_t elem = c.read<uint32_t>("array type");
    if (!knownValueType(elem))
        c.fail("metadata " + std::string(key) + " has an array of unknown type " + std::to_string(elem));
    v.elemType = static_cast<ValueType>(elem);
    v.count = c.read<uint64_t>("array length");
    uint64_t minBytes = 0;
    if (mulOverflows(v.count, valueSize(v.elemType), minBytes) || minBytes > c.remaining())
        c.fail("metadata " + std::string(key) + " claims " + std::to_string(v.count) +
               " array elements, more than the file holds");
    if (v.elemType == ValueType::String) {
        v.strings.reserve(v.count);
        for (uint64_t k = 0; k < v.count; ++k) v.strings.push_back(c.string("array string"));
    } else if (v.elemType == ValueType::Array) {
        v.items.reserve(v.count);
        for (uint64_t k = 0; k < v.count; ++k) v.items.push_back(readArray(c, key, depth + 1));
    } else {
        v.raw = c.take(minBytes, "array data");
    }
    return v;
}

Value readValue(Cursor& c, ValueType type, std::string_view key, int depth) {
    Value v;
    v.type = type;
    switch (type) {
    case ValueType::UInt8: v.u = c.read<uint8_t>("value"); break;
    case ValueType::Int8: v.i = c.read<int8_t>("value"); break;
    case ValueType::UInt16: v.u = c.read<uint16_t>("value"); break;
    case ValueType::Int16: v.i = c.read<int16_t>("value"); break;
    case ValueType::UInt32: v.u = c.read<uint32_t>("value"); break;
    case ValueType::Int32: v.i = c.read<int32_t>("value"); break;
    case ValueType::UInt64: v.u = c.read<uint64_t>("value"); break;
    case ValueType::Int64: v.i = c.read<int64_t>("value"); break;
    case ValueType::Float32: v.f = c.read<float>("value"); break;
    case ValueType::Float64: v.f = c.read<double>("value"); break;
    case ValueType::Bool: {
        uint8_t b = c.read<uint8_t>("value");
        if (b > 1) c.fail("metadata " + std::string(key) + " is a bool with value " + std::to_string(b));
        v.u = b;
        break;
    }
    case ValueType::String: v.str = c.string("string value"); break;
    case ValueType::Array: return readArray(c, key, depth);
    }
    return v;
}

template <typename Out>
Out arrayElement(const Value& v, uint64_t k) {
    const uint8_t* p = v.raw + k * valueSize(v.elemType);
    switch (v.elemType) {
    case ValueType::UInt8: return static_cast<Out>(loadLE<uint8_t>(p));
    case ValueType::Int8: return static_cast<Out>(loadLE<int8_t>(p));
    case ValueType::UInt16: return static_cast<Out>(loadLE<uint16_t>(p));
    case ValueType::Int16: return static_cast<Out>(loadLE<int16_t>(p));
    case ValueType::UInt32: return static_cast<Out>(loadLE<uint32_t>(p));
    case ValueType::Int32: return static_cast<Out>(loadLE<int32_t>(p));
    case ValueType::UInt64: return static_cast<Out>(loadLE<uint64_t>(p));
    case ValueType::Int64: return static_cast<Out>(loadLE<int64_t>(p));
    case ValueType::Float32: return static_cast<Out>(loadLE<float>(p));
    case ValueType::Float64: return static_cast<Out>(loadLE<double>(p));
    case ValueType::Bool: return static_cast<Out>(loadLE<uint8_t>(p));
    default: return Out{};
    }
}

bool isNumeric(ValueType t) { return t != ValueType::String && t != ValueType::Array; }

}  // namespace

std::string_view valueTypeName(ValueType type) {
    switch (type) {
    case ValueType::UInt8: return "u8";
    case ValueType::Int8: return "i8";
    case ValueType::UInt16: return "u16";
    case ValueType::Int16: return "i16";
    case ValueType::UInt32: return "u32";
    case ValueType::Int32: return "i32";
    case ValueType::Float32: return "f32";
    case ValueType::Bool: return "bool";
    case ValueType::String: return "str";
    case ValueType::Array: return "arr";
    case ValueType::UInt64: return "u64";
    case ValueType::Int64: return "i64";
    case ValueType::Float64: return "f64";
    }
    return "?";
}

bool Value::isInteger() const {
    switch (type) {
    case ValueType::UInt8: case ValueType::Int8: case ValueType::UInt16: case ValueType::Int16:
    case ValueType::UInt32: case ValueType::Int32: case ValueType::UInt64: case ValueType::Int64:
    case ValueType::Bool:
        return true;
    default:
        return false;
    }
}

bool Value::isFloat() const { return type == ValueType::Float32 || type == ValueType::Float64; }

std::optional<int64_t> Value::asInt() const {
    if (type == ValueType::UInt8 || type == ValueType::UInt16 || type == ValueType::UInt32 ||
        type == ValueType::UInt64 || type == ValueType::Bool) {
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(u);
    }
    if (isInteger()) return i;
    return std::nullopt;
}

std::optional<double> Value::asFloat() const {
    if (isFloat()) return f;
    if (auto n = asInt()) return static_cast<double>(*n);
    return std::nullopt;
}

std::optional<std::vector<int64_t>> Value::intArray() const {
    if (type != ValueType::Array || !isNumeric(elemType)) return std::nullopt;
    std::vector<int64_t> out(count);
    for (uint64_t k = 0; k < count; ++k) out[k] = arrayElement<int64_t>(*this, k);
    return out;
}

std::optional<std::vector<float>> Value::floatArray() const {
    if (type != ValueType::Array || !isNumeric(elemType)) return std::nullopt;
    std::vector<float> out(count);
    for (uint64_t k = 0; k < count; ++k) out[k] = arrayElement<float>(*this, k);
    return out;
}

std::string Value::toDisplayString(size_t maxItems) const {
    std::ostringstream os;
    switch (type) {
    case ValueType::String: {
        std::string s(str.substr(0, 200));
        std::replace(s.begin(), s.end(), '\n', ' ');
        os << '"' << s << (str.size() > 200 ? "...\"" : "\"");
        break;
    }
    case ValueType::Bool: os << (u ? "true" : "false"); break;
    case ValueType::Float32: case ValueType::Float64: os << f; break;
    case ValueType::Array: {
        os << '[';
        uint64_t shown = std::min<uint64_t>(count, maxItems);
        for (uint64_t k = 0; k < shown; ++k) {
            if (k) os << ", ";
            if (elemType == ValueType::String) os << '"' << strings[k].substr(0, 40) << '"';
            else if (elemType == ValueType::Array) os << "[...]";
            else if (elemType == ValueType::Float32 || elemType == ValueType::Float64) os << arrayElement<double>(*this, k);
            else os << arrayElement<int64_t>(*this, k);
        }
        if (count > shown) os << ", ... (" << count << " items)";
        os << ']';
        break;
    }
    default:
        if (type == ValueType::UInt8 || type == ValueType::UInt16 || type == ValueType::UInt32 || type == ValueType::UInt64) os << u;
        else os << i;
    }
    return os.str();
}

uint64_t TensorInfo::elementCount() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;  // checked for overflow when the file was read
    return n;
}

GgufFile::GgufFile(PartTag, const std::filesystem::path& path) : name_(path.filename().string()) {
    map_.emplace(path);
    bytes_ = map_->bytes();
    totalSize_ = bytes_.size();
    parse();
}

GgufFile::GgufFile(const std::filesystem::path& path) : GgufFile(PartTag{}, path) {
    if (getInt("split.count").value_or(1) > 1) openOtherParts(path);
}

GgufFile::GgufFile(std::span<const uint8_t> bytes, std::string displayName)
    : bytes_(bytes), name_(std::move(displayName)) {
    totalSize_ = bytes_.size();
    parse();
}

void GgufFile::openOtherParts(const std::filesystem::path& firstPart) {
    const auto fail = [this](const std::string& what) { throw Error(ErrorKind::InvalidFile, name_ + ": " + what); };
    const int64_t count = *getInt("split.count");
    const int64_t number = getInt("split.no").value_or(0);
    if (count > 99999) fail("claims to be split into " + std::to_string(count) + " parts");
    // Parts are named as llama.cpp's gguf-split names them: <prefix>-00002-of-00003.gguf.
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", 1, int(count));
    if (number != 0)
        fail("is part " + std::to_string(number + 1) + " of " + std::to_string(count) +
             " of a split model; open its first part (" + suffix + ")");
    const std::string stem = firstPart.filename().string();
    if (stem.size() <= std::strlen(suffix) || stem.compare(stem.size() - std::strlen(suffix), std::string::npos, suffix) != 0)
        fail("is the first of " + std::to_string(count) + " parts but is not named \"<name>" + suffix +
             "\", so its other parts cannot be found");
    const std::string prefix = stem.substr(0, stem.size() - std::strlen(suffix));
    for (int64_t k = 1; k < count; ++k) {
        std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", int(k + 1), int(count));
        const std::filesystem::path partPath = firstPart.parent_path() / (prefix + suffix);
        if (!std::filesystem::exists(partPath))
            fail("part " + std::to_string(k + 1) + " of " + std::to_string(count) + " (" + partPath.filename().string() +
                 ") is missing");
        auto part = std::unique_ptr<GgufFile>(new GgufFile(PartTag{}, partPath));
        if (part->getInt("split.count") != count || part->getInt("split.no").value_or(-1) != k)
            fail(partPath.filename().string() + " is not part " + std::to_string(k + 1) + " of " +
                 std::to_string(count) + " of this model");
        totalSize_ += part->totalSize_;
        for (const TensorInfo& t : part->tensors_) {
            if (!tensorIndex_.emplace(t.name, tensors_.size()).second)
                fail("tensor " + std::string(t.name) + " appears in more than one part");
            tensors_.push_back(t);
        }
        parts_.push_back(std::move(part));
    }
    if (const auto expected = getInt("split.tensors.count"); expected && uint64_t(*expected) != tensors_.size())
        fail("its parts hold " + std::to_string(tensors_.size()) + " tensors, not the " + std::to_string(*expected) +
             " split.tensors.count says");
}

void GgufFile::parse() {
    Cursor c(bytes_, name_);
    if (bytes_.size() < 4) c.fail("file is too small to be a GGUF model (" + std::to_string(bytes_.size()) + " bytes)");
    if (c.read<uint32_t>("magic") != kMagic) c.fail("not a GGUF file (bad magic number)");
    version_ = c.read<uint32_t>("version");
    if (version_ == 1) c.fail("GGUF version 1 is obsolete and not supported; convert the file with a current tool");
    if (version_ != 2 && version_ != 3) {
        if ((version_ & 0xFFFF) == 0 && (version_ >> 24) <= 3)
            c.fail("big-endian GGUF files are not supported");
        c.fail("unsupported GGUF version " + std::to_string(version_));
    }
    uint64_t tensorCount = c.read<uint64_t>("tensor count");
    uint64_t kvCount = c.read<uint64_t>("metadata count");
    // Each metadata entry takes at least 13 bytes and each tensor info 24:
    // a count the rest of the file cannot hold is a lie, caught before any allocation.
    if (kvCount > c.remaining() / 13)
        c.fail("claims " + std::to_string(kvCount) + " metadata entries, more than the file can hold");
    if (tensorCount > c.remaining() / 24)
        c.fail("claims " + std::to_string(tensorCount) + " tensors, more than the file can hold");

    metadata_.reserve(kvCount);
    for (uint64_t k = 0; k < kvCount; ++k) {
        std::string_view key = c.string("metadata key");
        uint32_t type = c.read<uint32_t>("metadata type");
        if (!knownValueType(type))
            c.fail("metadata " + std::string(key) + " has unknown value type " + std::to_string(type));
        Value v = readValue(c, static_cast<ValueType>(type), key, 0);
        if (!metadataIndex_.emplace(key, metadata_.size()).second)
            c.fail("metadata key " + std::string(key) + " appears twice");
        metadata_.emplace_back(key, std::move(v));
    }

    if (const Value* a = find("general.alignment")) {
        auto n = a->asInt();
        if (!n || *n <= 0 || *n > (1 << 20) || (*n & (*n - 1)) != 0)
            c.fail("general.alignment must be a power of two, got " + a->toDisplayString());
        alignment_ = static_cast<uint32_t>(*n);
    }

    tensors_.reserve(tensorCount);
    for (uint64_t k = 0; k < tensorCount; ++k) {
        TensorInfo t;
        t.name = c.string("tensor name");
        std::string tname(t.name);
        uint32_t dims = c.read<uint32_t>("tensor dimension count");
        if (dims == 0 || dims > kMaxDims)
            c.fail("tensor " + tname + " has " + std::to_string(dims) + " dimensions (1 to 4 allowed)");
        uint64_t elements = 1;
        for (uint32_t d = 0; d < dims; ++d) {
            uint64_t n = c.read<uint64_t>("tensor shape");
            if (n == 0 || static_cast<int64_t>(n) < 0)
                c.fail("tensor " + tname + " has an invalid dimension " + std::to_string(static_cast<int64_t>(n)));
            if (mulOverflows(elements, n, elements) || static_cast<int64_t>(elements) < 0)
                c.fail("tensor " + tname + " has more elements than can be addressed");
            t.shape.push_back(n);
        }
        uint32_t type = c.read<uint32_t>("tensor type");
        auto traits = typeTraits(type);
        if (!traits)
            c.fail("tensor " + tname + " has unknown type number " + std::to_string(type));
        t.type = static_cast<GgmlType>(type);
        if (t.shape[0] % traits->blockSize != 0)
            c.fail("tensor " + tname + " has rows of " + std::to_string(t.shape[0]) + " elements, not a multiple of " +
                   std::string(traits->name) + "'s block of " + std::to_string(traits->blockSize));
        if (mulOverflows(elements / traits->blockSize, traits->blockBytes, t.byteSize))
            c.fail("tensor " + tname + " is too large to address");
        t.offset = c.read<uint64_t>("tensor offset");
        if (t.offset % alignment_ != 0)
            c.fail("tensor " + tname + " is not aligned to " + std::to_string(alignment_) + " bytes");
        if (!tensorIndex_.emplace(t.name, tensors_.size()).second)
            c.fail("tensor name " + tname + " appears twice");
        tensors_.push_back(std::move(t));
    }

    dataOffset_ = c.pos();
    if (tensorCount > 0) {
        dataOffset_ = (dataOffset_ + alignment_ - 1) / alignment_ * alignment_;
        if (dataOffset_ > bytes_.size()) c.fail("file is truncated before its tensor data");
    }
    const uint64_t dataSize = bytes_.size() - dataOffset_;
    for (TensorInfo& t : tensors_) {
        if (t.offset > dataSize || t.byteSize > dataSize - t.offset)
            c.fail("tensor " + std::string(t.name) + " extends past the end of the file");
        t.data = bytes_.data() + dataOffset_ + t.offset;
    }
    std::vector<const TensorInfo*> byOffset;
    byOffset.reserve(tensors_.size());
    for (const TensorInfo& t : tensors_) byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t k = 1; k < byOffset.size(); ++k) {
        const TensorInfo* prev = byOffset[k - 1];
        if (prev->offset + prev->byteSize > byOffset[k]->offset)
            c.fail("tensors " + std::string(prev->name) + " and " + std::string(byOffset[k]->name) + " overlap");
    }
}

const Value* GgufFile::find(std::string_view key) const {
    auto it = metadataIndex_.find(key);
    return it == metadataIndex_.end() ? nullptr : &metadata_[it->second].second;
}

std::optional<std::string_view> GgufFile::getString(std::string_view key) const {
    const Value* v = find(key);
    if (!v || v->type != ValueType::String) return std::nullopt;
    return v->str;
}

std::optional<int64_t> GgufFile::getInt(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asInt() : std::nullopt;
}

std::optional<double> GgufFile::getFloat(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->asFloat() : std::nullopt;
}

std::optional<bool> GgufFile::getBool(std::string_view key) const {
    const Value* v = find(key);
    if (!v || v->type != ValueType::Bool) return std::nullopt;
    return v->u != 0;
}

GgmlType GgufFile::mostCommonWeightType() const {
    std::map<GgmlType, uint64_t> elements;
    for (const TensorInfo& t : tensors_)
        if (t.shape.size() >= 2) elements[t.type] += t.elementCount();
    GgmlType most = GgmlType::F32;
    uint64_t best = 0;
    for (const auto& [type, n] : elements)
        if (n > best) most = type, best = n;
    return most;
}

const TensorInfo* GgufFile::findTensor(std::string_view name) const {
    auto it = tensorIndex_.find(name);
    return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace nibble::gguf
