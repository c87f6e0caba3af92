#include "gguf/gguf_writer.h"

#include "nibble/error.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unistd.h>

namespace nibble::gguf {
namespace {

size_t scalarSize(ValueType t) {
    switch (t) {
    case ValueType::UInt8: case ValueType::Int8: case ValueType::Bool: return 1;
    case ValueType::UInt16: case ValueType::Int16: return 2;
    case ValueType::UInt32: case ValueType::Int32: case ValueType::Float32: return 4;
    default: return 8;
    }
}

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};

class Output {
public:
    Output(FILE* f, const std::filesystem::path& shownAs) : f_(f), shownAs_(shownAs) {}

    void bytes(const void* p, size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n) fail();
        written_ += n;
    }
    template <typename T>
    void put(T v) { bytes(&v, sizeof v); }
    void str(std::string_view s) {
        put<uint64_t>(s.size());
        bytes(s.data(), s.size());
    }
    void padTo(uint64_t alignment) {
        static const uint8_t zeros[256] = {};
        while (written_ % alignment) bytes(zeros, std::min<uint64_t>(sizeof zeros, alignment - written_ % alignment));
    }
    void value(const Value& v) {
        switch (v.type) {
        case ValueType::String: str(v.str); return;
        case ValueType::Array:
            put<uint32_t>(static_cast<uint32_t>(v.elemType));
            put<uint64_t>(v.count);
            if (v.elemType == ValueType::String) for (auto s : v.strings) str(s);
            else if (v.elemType == ValueType::Array) for (const auto& item : v.items) value(item);
            else bytes(v.raw, v.count * scalarSize(v.elemType));
            return;
        case ValueType::Float32: put<float>(static_cast<float>(v.f)); return;
        case ValueType::Float64: put<double>(v.f); return;
        case ValueType::Int8: case ValueType::Int16: case ValueType::Int32: case ValueType::Int64:
            bytes(&v.i, scalarSize(v.type));  // little-endian: the low bytes come first
            return;
        default:
            bytes(&v.u, scalarSize(v.type));
        }
    }
    [[noreturn]] void fail() const {
        const int err = errno;
        if (err == ENOSPC || err == EDQUOT)
            throw Error(ErrorKind::Io, "the disk is full: cannot write " + shownAs_.string());
        throw Error(ErrorKind::Io, "cannot write " + shownAs_.string() + ": " + std::strerror(err));
    }
    uint64_t written() const { return written_; }

private:
    FILE* f_;
    const std::filesystem::path& shownAs_;
    uint64_t written_ = 0;
};

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)))
        throw Error(ErrorKind::InvalidArgument, "GGUF alignment must be a power of two");
    if (alignment != 32) setUInt32("general.alignment", alignment);
}

std::string_view GgufWriter::keep(std::string s) { return owned_.emplace_back(std::move(s)); }

void GgufWriter::set(const std::string& key, Value value) {
    auto it = std::find_if(metadata_.begin(), metadata_.end(), [&](auto& kv) { return kv.first == key; });
    if (it != metadata_.end()) it->second = std::move(value);
    else metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::copyMetadata(const GgufFile& source) {
    // Our own alignment applies to what we write, whatever the source used.
    for (const auto& [key, value] : source.metadata())
        if (key != "general.alignment") set(std::string(key), value);
}

void GgufWriter::setString(const std::string& key, const std::string& value) {
    Value v;
    v.type = ValueType::String;
    v.str = keep(value);
    set(key, std::move(v));
}

void GgufWriter::setUInt16(const std::string& key, uint16_t value) {
    Value v;
    v.type = ValueType::UInt16;
    v.u = value;
    set(key, std::move(v));
}

void GgufWriter::setUInt32(const std::string& key, uint32_t value) {
    Value v;
    v.type = ValueType::UInt32;
    v.u = value;
    set(key, std::move(v));
}

void GgufWriter::setFloat32(const std::string& key, float value) {
    Value v;
    v.type = ValueType::Float32;
    v.f = value;
    set(key, std::move(v));
}

void GgufWriter::setStringArray(const std::string& key, const std::vector<std::string>& values) {
    Value v;
    v.type = ValueType::Array;
    v.elemType = ValueType::String;
    v.count = values.size();
    for (const auto& s : values) v.strings.push_back(keep(s));
    set(key, std::move(v));
}

template <typename T>
void GgufWriter::setNumberArray(const std::string& key, ValueType elementType, const std::vector<T>& values) {
    auto& bytes = raw_.emplace_back(values.size() * sizeof(T));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    Value v;
    v.type = ValueType::Array;
    v.elemType = elementType;
    v.count = values.size();
    v.raw = bytes.data();
    set(key, std::move(v));
}

void GgufWriter::setFloat32Array(const std::string& key, const std::vector<float>& values) {
    setNumberArray(key, ValueType::Float32, values);
}

void GgufWriter::setInt32Array(const std::string& key, const std::vector<int32_t>& values) {
    setNumberArray(key, ValueType::Int32, values);
}

void GgufWriter::remove(const std::string& key) {
    std::erase_if(metadata_, [&](auto& kv) { return kv.first == key; });
}

void GgufWriter::addTensor(const std::string& name, std::vector<uint64_t> shape, GgmlType type,
                           std::function<std::vector<uint8_t>()> produce) {
    auto traits = typeTraits(static_cast<uint32_t>(type));
    if (!traits || shape.empty() || shape.size() > 4 || shape[0] % traits->blockSize != 0)
        throw Error(ErrorKind::InvalidArgument, "tensor " + name + " cannot be stored as " + std::string(typeName(type)));
    uint64_t elements = 1;
    for (uint64_t d : shape) elements *= d;
    tensors_.push_back({name, std::move(shape), type, elements / traits->blockSize * traits->blockBytes, std::move(produce)});
}

void GgufWriter::write(const std::filesystem::path& path, const std::function<void(size_t, size_t)>& progress) const {
    const std::filesystem::path temp = path.string() + ".partial-" + std::to_string(::getpid());
    std::unique_ptr<FILE, FileCloser> file(std::fopen(temp.c_str(), "wb"));
    if (!file) throw Error(ErrorKind::Io, "cannot create " + temp.string() + ": " + std::strerror(errno));
    try {
        std::vector<char> buffer(1 << 20);
        std::setvbuf(file.get(), buffer.data(), _IOFBF, buffer.size());
        Output out(file.get(), path);
        out.put<uint32_t>(0x46554747);
        out.put<uint32_t>(3);
        out.put<uint64_t>(tensors_.size());
        out.put<uint64_t>(metadata_.size());
        for (const auto& [key, value] : metadata_) {
            out.str(key);
            out.put<uint32_t>(static_cast<uint32_t>(value.type));
            out.value(value);
        }
        uint64_t offset = 0;
        for (const Tensor& t : tensors_) {
            out.str(t.name);
            out.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
            for (uint64_t d : t.shape) out.put<uint64_t>(d);
            out.put<uint32_t>(static_cast<uint32_t>(t.type));
            out.put<uint64_t>(offset);
            offset += (t.byteSize + alignment_ - 1) / alignment_ * alignment_;
        }
        out.padTo(alignment_);
        for (size_t i = 0; i < tensors_.size(); ++i) {
            const Tensor& t = tensors_[i];
            std::vector<uint8_t> data = t.produce();
            if (data.size() != t.byteSize)
                throw Error(ErrorKind::Internal, "tensor " + t.name + " produced " + std::to_string(data.size()) +
                                                     " bytes, expected " + std::to_string(t.byteSize));
            out.bytes(data.data(), data.size());
            out.padTo(alignment_);
            if (progress) progress(i + 1, tensors_.size());
        }
        if (std::fflush(file.get()) != 0 || ::fsync(::fileno(file.get())) != 0) out.fail();
        file.reset();
        std::error_code renamed;
        std::filesystem::rename(temp, path, renamed);
        if (renamed) throw Error(ErrorKind::Io, "cannot replace " + path.string() + ": " + renamed.message());
    } catch (...) {
        file.reset();
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        throw;
    }
}

}  // namespace nibble::gguf
