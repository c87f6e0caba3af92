#include "nibble/model_file.h"

#include "gguf/gguf_reader.h"
#include "nibble/file_type.h"

#include <limits>
#include <map>

namespace nibble {

ModelFileSummary inspectModelFile(const std::filesystem::path& path) {
    gguf::GgufFile file(path);
    ModelFileSummary s;
    s.name = std::string(file.getString("general.name").value_or(""));
    s.architecture = std::string(file.getString("general.architecture").value_or(""));
    s.fileType = file.getInt("general.file_type");
    if (s.fileType)
        if (auto name = fileTypeName(*s.fileType)) s.fileTypeName = std::string(*name);
    s.license = std::string(file.getString("general.license").value_or(""));
    if (auto n = file.getInt(s.architecture + ".context_length"); n && *n > 0 && *n <= std::numeric_limits<uint32_t>::max())
        s.trainedContextLength = uint32_t(*n);
    s.hasChatTemplate = file.getString("tokenizer.chat_template").has_value();
    s.ggufVersion = file.version();
    for (const auto& [key, value] : file.metadata()) s.metadata.emplace_back(std::string(key), value.toDisplayString());
    std::map<std::string, uint64_t> types;
    for (const auto& t : file.tensors()) {
        ++types[std::string(typeName(t.type))];
        s.parameterCount += t.elementCount();
    }
    s.tensorCount = file.tensors().size();
    s.tensorTypes.assign(types.begin(), types.end());
    return s;
}

}  // namespace nibble
