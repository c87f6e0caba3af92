# cmake -DSPV=in.spv -DNAME=id -DOUT=out.cpp -P embed_spirv.cmake
# Writes the SPIR-V module as a uint32_t array. SPIR-V words are stored in the
# host's byte order, which is little-endian on every platform Nibble targets.
file(READ ${SPV} hex HEX)
string(LENGTH "${hex}" chars)
math(EXPR remainder "${chars} % 8")
if(chars EQUAL 0 OR NOT remainder EQUAL 0)
    message(FATAL_ERROR "${SPV} is not a SPIR-V module (${chars} hex digits)")
endif()
math(EXPR words "${chars} / 8")
string(REGEX REPLACE "(..)(..)(..)(..)" "0x\\4\\3\\2\\1u, " body "${hex}")
string(REPEAT "0x........u, " 8 line)
string(REGEX REPLACE "(${line})" "\\1\n    " body "${body}")
file(WRITE ${OUT}.tmp
"// Generated from ${SPV} by embed_spirv.cmake; do not edit.
#include <cstddef>
#include <cstdint>

namespace nibble::shaders::embedded {

extern const uint32_t ${NAME}[] = {
    ${body}
};
extern const size_t ${NAME}_words = ${words};

}  // namespace nibble::shaders::embedded
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
