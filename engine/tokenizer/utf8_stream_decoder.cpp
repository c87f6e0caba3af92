#include "tokenizer/utf8_stream_decoder.h"

#include "text/utf8.h"

namespace nibble {

std::string Utf8StreamDecoder::push(std::string_view bytes) {
    pending_.append(bytes);
    std::string out;
    size_t pos = 0;
    while (pos < pending_.size()) {
        const int n = utf8::wellFormedPrefix(std::string_view(pending_).substr(pos));
        if (n == 0) break;  // incomplete: wait for the next token
        if (n > 0) {
            out.append(pending_, pos, static_cast<size_t>(n));
            pos += static_cast<size_t>(n);
        } else {
            utf8::appendCodepoint(out, utf8::kReplacement);
            pos += static_cast<size_t>(-n);
        }
    }
    pending_.erase(0, pos);
    return out;
}

std::string Utf8StreamDecoder::flush() {
    std::string out;
    if (!pending_.empty()) utf8::appendCodepoint(out, utf8::kReplacement);
    pending_.clear();
    return out;
}

}  // namespace nibble
