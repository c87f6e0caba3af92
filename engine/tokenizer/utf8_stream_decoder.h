#pragma once
// Turns the raw bytes of generated tokens into text that is always valid
// UTF-8. A character can be split over several byte tokens (an emoji is often
// four <0xXX> tokens), so an incomplete tail is held back until the bytes that
// complete it arrive. Bytes that can never form a character become U+FFFD.
#include <string>
#include <string_view>

namespace nibble {

class Utf8StreamDecoder {
public:
    // The complete characters available after these bytes.
    std::string push(std::string_view bytes);
    // Ends the stream: a held incomplete tail comes out as U+FFFD.
    std::string flush();

private:
    std::string pending_;
};

}  // namespace nibble
