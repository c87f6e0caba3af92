#pragma once
// Text from a model file made safe to print on a terminal: a metadata string
// could otherwise carry escape sequences that retitle the window, hide text
// or worse.
#include <string>
#include <string_view>

namespace nibble::cli {

// Control characters (C0, DEL and C1) and bytes that are not UTF-8 become
// visible escapes (\x1b, \u009b); everything else is kept as it is.
std::string printable(std::string_view text);

}  // namespace nibble::cli
