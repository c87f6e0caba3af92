#pragma once
// How much one chat template may do. A template comes from the model file, so
// it is an untrusted program that runs at every model load and every chat:
// without bounds, a few kilobytes of it can overflow the stack (deep nesting),
// spin forever (nested loops) or take all memory (string doubling). Real
// templates stay far below every figure here: they nest under 20 levels, take
// a few hundred steps per message and make text about the conversation's size.
#include <cstddef>
#include <cstdint>

namespace nibble::jinja {

struct Limits {
    // Blocks inside blocks, expressions inside expressions, macro calls and
    // values inside values, counted together. At this depth the parser and the
    // interpreter fit a 512 KB thread stack even with AddressSanitizer's frames.
    int maxDepth = 100;
    // Statements run, expressions evaluated, loop iterations and values compared
    // in one render: a conversation of thousands of messages takes under a
    // tenth of it, and a runaway loop stops within about a second.
    int64_t maxSteps = 2'000'000;
    // The largest string or list one operation may make, and the rendered text
    // (16 MiB of text is millions of tokens, beyond any model's context).
    size_t maxValueBytes = size_t{16} << 20;
    // All the strings and lists one render makes, added up.
    size_t maxTotalBytes = size_t{256} << 20;
    // range() items, as Jinja's sandbox allows.
    int64_t maxRangeItems = 100'000;
    // Macros calling macros (a recursive one, as some tool templates have,
    // follows a JSON schema's nesting); low enough to fail with this clearer
    // message before maxDepth does.
    int maxMacroDepth = 32;
};

}  // namespace nibble::jinja
