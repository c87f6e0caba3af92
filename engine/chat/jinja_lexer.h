#pragma once
// Splits template source into text and the tokens inside {{ }} and {% %},
// applying Jinja's whitespace control on the way: `{%-`/`-%}` strip the
// whitespace beside a tag, trim_blocks drops the newline after a block tag
// and lstrip_blocks drops the indentation before one. Comments vanish here.
#include <string>
#include <string_view>
#include <vector>

namespace nibble::jinja {

struct Token {
    enum class Type {
        Text,        // literal template text
        VarBegin,    // {{
        VarEnd,      // }}
        BlockBegin,  // {%
        BlockEnd,    // %}
        Name,
        String,      // text holds the decoded value
        Integer,
        Float,
        Operator,    // text holds the operator, e.g. "==", "(", "|"
        End,         // end of the source
    };
    Type type;
    std::string text;
    int line;
};

struct LexerOptions {
    // What Hugging Face's chat template environment sets.
    bool trimBlocks = true;
    bool lstripBlocks = true;
};

// Throws TemplateError(Syntax) for unterminated tags, comments and strings.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace nibble::jinja
