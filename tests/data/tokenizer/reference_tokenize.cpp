// Prints the token ids llama.cpp's tokenizer gives for the text on standard
// input: reference_tokenize MODEL.gguf ADD_SPECIAL(0|1) PARSE_SPECIAL(0|1).
// Build against llama.cpp: g++ -std=c++17 reference_tokenize.cpp -I<llama.cpp>/include
//   -I<llama.cpp>/ggml/include -L<build>/bin -lllama -lggml -lggml-base
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 4) return 2;
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    llama_backend_init();
    llama_model_params params = llama_model_default_params();
    params.vocab_only = true;
    llama_model* model = llama_model_load_from_file(argv[1], params);
    if (!model) return 1;
    const llama_vocab* vocab = llama_model_get_vocab(model);
    std::stringstream in;
    in << std::cin.rdbuf();
    const std::string text = in.str();
    std::vector<llama_token> ids(text.size() + 16);
    const int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), ids.data(),
                                 static_cast<int32_t>(ids.size()), atoi(argv[2]) != 0, atoi(argv[3]) != 0);
    if (n < 0) return 3;
    for (int i = 0; i < n; ++i) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
    llama_model_free(model);
    return 0;
}
