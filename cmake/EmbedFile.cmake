# Writes OUTPUT, a C++ file defining `std::string_view NAMESPACE::FUNCTION()` that returns
# the bytes of INPUT (run as `cmake -DINPUT=... -DOUTPUT=... -DNAMESPACE=... -DFUNCTION=...
# -P EmbedFile.cmake`). The bytes are written as a char array, so any content works and
# no compiler string-length limit applies.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}"
    "// Generated from ${INPUT} by cmake/EmbedFile.cmake: do not edit.\n"
    "#include <string_view>\n\n"
    "namespace ${NAMESPACE} {\n\n"
    "namespace {\nconstexpr char kBytes[${size} + 1] = {${bytes} '\\0'};\n}  // namespace\n\n"
    "std::string_view ${FUNCTION}() {\n    return {kBytes, ${size}};\n}\n\n"
    "}  // namespace ${NAMESPACE}\n")
