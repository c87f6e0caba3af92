#pragma once
// The model catalogue: one row per model (an architecture and its weights),
// whatever precisions it is stored in (those are variants).
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace nibble::storage {

class Database;

struct Model {
    qint64 id = 0;
    QString name;
    QString architecture;  // GGUF general.architecture, e.g. "llama"
    qint64 parameterCount = 0;
    QString license;
    QString source;  // where it came from, e.g. a download URL
    QDateTime createdAt;
    // Whether its file has tokenizer.chat_template; unset until a file's header was read.
    std::optional<bool> hasChatTemplate;
};

class ModelStore {
public:
    explicit ModelStore(const Database& db) : db_(db) {}

    // Stores model (its id and createdAt are assigned) and returns it.
    Model add(Model model);
    std::optional<Model> find(qint64 id) const;
    Model get(qint64 id) const;  // throws NotFound
    QList<Model> list() const;   // by name
    // Records what the model's file header says (see Model::hasChatTemplate).
    void setHasChatTemplate(qint64 id, bool hasChatTemplate);
    // Removes the model and its variants.
    void remove(qint64 id);

private:
    const Database& db_;
};

}  // namespace nibble::storage
