#pragma once
// Whether a model follows instructions (a chat or "instruct" model) or only
// continues text (a base model), as far as its name and file tell: the one
// rule the library, the precision dropdown and Hugging Face search share.
#include <QString>

#include <optional>

namespace nibble::app {

enum class ModelKind { Instruct, Base, Unknown };

// Chat models are named so by convention ("-Instruct", "-it", "-chat").
bool nameSaysInstruct(const QString& name);

// A name (the model's or its file's) that says instruct is an instruct model;
// otherwise a file with no chat template is a base model (the tuned ones ship
// the template they were tuned with); anything else cannot be told (many base
// models ship a template too, and some chat models carry no marker in their
// name). hasChatTemplate is what the file's header said, as the models store
// keeps it, unset when not read yet: telling never opens the file.
ModelKind modelKindOf(const QString& name, const QString& filePath, std::optional<bool> hasChatTemplate);

// "instruct", "base" or "".
QString modelKindName(ModelKind kind);

}  // namespace nibble::app
