#pragma once
// Inside a Model: its file, weights, tokenizer and template, for the engine's
// own code and for the tests and benchmarks that look at them (a bare
// backend, the weights' layout). The public API hides them so the app
// depends only on engine.h; it never includes this header.
#include "api/model_impl.h"

namespace nibble {

const ModelImpl& modelImpl(const Model& model);

}  // namespace nibble
