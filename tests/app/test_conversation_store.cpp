// The stores over one database: conversations (list order, titles, soft
// delete with undo, purge, search), messages (branches, streaming), the model
// catalogue and evaluations, and conversation export/import.
#include "storage/conversation_io.h"
#include "storage/conversation_store.h"
#include "storage/database.h"
#include "storage/evaluation_store.h"
#include "storage/message_store.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "storage/variant_store.h"
#include "storage_test_util.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace nibble::storage;
using namespace nibble::test;

namespace {

template <typename F>
std::optional<StorageError> errorFrom(F&& action) {
    try {
        action();
    } catch (const StorageError& error) {
        return error;
    }
    return std::nullopt;
}

QList<qint64> ids(const QList<Conversation>& conversations) {
    QList<qint64> result;
    for (const Conversation& c : conversations) result.append(c.id);
    return result;
}

QList<qint64> ids(const QList<ConversationMatch>& matches) {
    QList<qint64> result;
    for (const ConversationMatch& m : matches) result.append(m.conversation.id);
    return result;
}

QList<qint64> ids(const QList<Message>& messages) {
    QList<qint64> result;
    for (const Message& m : messages) result.append(m.id);
    return result;
}

qint64 count(const Database& db, const char* table) {
    Statement query = db.prepare(std::string("SELECT count(*) FROM ") + table);
    query.step();
    return query.int64(0);
}

// FTS5 compares its index with the text of every finished message.
bool searchIndexConsistent(const Database& db) {
    try {
        db.exec("INSERT INTO message_search(message_search) VALUES ('integrity-check')");
        return true;
    } catch (const StorageError&) {
        return false;
    }
}

}  // namespace

class TestConversationStore : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::optional<Database> db_;
    int next_ = 0;

private slots:
    void init() { db_.emplace(Database::open(dir_.filePath(QStringLiteral("db%1.sqlite").arg(next_++)))); }
    void cleanup() { db_.reset(); }

    void listIsOrderedByActivity();
    void settingsRoundTrip();
    void titleFromText_data();
    void titleFromText();
    void autoTitleUsesFirstUserMessage();
    void softDeleteAndUndo();
    void purgeRemovesMessages();
    void searchFindsWordsInMessagesAndTitles();
    void searchIgnoresQuerySyntax();
    void searchSkipsStreamingReplies();
    void editCreatesSiblingBranch();
    void removeDeletesReplies();
    void messageMustStayInItsConversation();
    void streamingLifecycle();
    void appendStreamingIsCheap();
    void catalogueAndEvaluations();
    void removingVariantKeepsConversations();
    void exportImportRoundTrip();
    void importRejectsInvalidFiles_data();
    void importRejectsInvalidFiles();
    void exportMarkdownShowsCurrentBranch();
};

void TestConversationStore::listIsOrderedByActivity() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 a = conversations.create(std::nullopt, QStringLiteral("A")).id;
    const qint64 b = conversations.create(std::nullopt, QStringLiteral("B")).id;
    const qint64 c = conversations.create(std::nullopt, QStringLiteral("C")).id;
    QCOMPARE(ids(conversations.list()), (QList<qint64>{c, b, a}));

    QTest::qWait(5);
    messages.add(a, std::nullopt, MessageRole::User, QStringLiteral("hello"));
    QCOMPARE(ids(conversations.list()), (QList<qint64>{a, c, b}));

    // Renaming is not activity.
    conversations.rename(b, QStringLiteral("  Renamed  "));
    QCOMPARE(ids(conversations.list()), (QList<qint64>{a, c, b}));
    QCOMPARE(conversations.get(b).title, QStringLiteral("Renamed"));

    const auto missing = errorFrom([&] { conversations.rename(9999, QStringLiteral("x")); });
    QVERIFY(missing);
    QCOMPARE(int(missing->kind()), int(StorageErrorKind::NotFound));
}

void TestConversationStore::settingsRoundTrip() {
    ConversationStore conversations(*db_);
    const Model model = ModelStore(*db_).add({0, QStringLiteral("SmolLM2"), QStringLiteral("llama"), 135, {}, {}, {}});
    const Variant variant = VariantStore(*db_).add(
        {0, model.id, QStringLiteral("Q4_1"), QStringLiteral("/m/a.gguf"), 10, {}, VariantOrigin::Bundled, {}, {}, {}});
    const qint64 id = conversations.create(variant.id).id;
    conversations.setSystemPrompt(id, QStringLiteral("You are terse."));
    const QJsonObject sampling{{QStringLiteral("temperature"), 0.25}, {QStringLiteral("top_k"), 40}};
    conversations.setSampling(id, sampling);

    const Conversation stored = conversations.get(id);
    QCOMPARE(stored.variantId, std::optional<qint64>(variant.id));
    QCOMPARE(stored.systemPrompt, QStringLiteral("You are terse."));
    QCOMPARE(stored.sampling, sampling);
    QVERIFY(stored.createdAt.isValid());
    QCOMPARE(stored.createdAt.timeSpec(), Qt::UTC);
    QVERIFY(!stored.deletedAt);

    conversations.setVariant(id, std::nullopt);
    QVERIFY(!conversations.get(id).variantId);
    // A variant that does not exist is refused by the foreign key.
    const auto error = errorFrom([&] { conversations.setVariant(id, 12345); });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::InvalidData));

    // Both settings in one statement.
    const QJsonObject warmer{{QStringLiteral("temperature"), 1.0}};
    conversations.setSettings(id, QStringLiteral("Answer in French."), warmer);
    QCOMPARE(conversations.get(id).systemPrompt, QStringLiteral("Answer in French."));
    QCOMPARE(conversations.get(id).sampling, warmer);
    const auto gone = errorFrom([&] { conversations.setSettings(9999, {}, {}); });
    QVERIFY(gone);
    QCOMPARE(int(gone->kind()), int(StorageErrorKind::NotFound));
}

void TestConversationStore::titleFromText_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("title");
    QTest::newRow("short") << "How do penguins sleep?" << "How do penguins sleep?";
    QTest::newRow("first non-empty line") << "\n  \n  Fix   my\tcode \nimport os" << "Fix my code";
    QTest::newRow("long, cut at a word")
        << "Please write a detailed explanation of how transformers use attention to weigh tokens"
        << QString::fromUtf8("Please write a detailed explanation of how transformers use…");
    QTest::newRow("long word") << QString(100, QLatin1Char('x')) << QString(60, QLatin1Char('x')) + QChar(0x2026);
    QTest::newRow("empty") << "   " << "";
}

void TestConversationStore::titleFromText() {
    QFETCH(QString, text);
    QFETCH(QString, title);
    QCOMPARE(ConversationStore::titleFromText(text), title);
}

void TestConversationStore::autoTitleUsesFirstUserMessage() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create().id;
    QCOMPARE(conversations.autoTitle(id), std::nullopt);

    const qint64 system = messages.add(id, std::nullopt, MessageRole::System, QStringLiteral("Be nice")).id;
    const qint64 user =
        messages.add(id, system, MessageRole::User, QStringLiteral("What is a GGUF file?\nI found one.")).id;
    messages.add(id, user, MessageRole::User, QStringLiteral("Second question"));
    QCOMPARE(conversations.autoTitle(id), std::optional<QString>(QStringLiteral("What is a GGUF file?")));
    QCOMPARE(conversations.get(id).title, QStringLiteral("What is a GGUF file?"));

    // A title the user chose is kept.
    conversations.rename(id, QStringLiteral("Mine"));
    QCOMPARE(conversations.autoTitle(id), std::nullopt);
    QCOMPARE(conversations.get(id).title, QStringLiteral("Mine"));
}

void TestConversationStore::softDeleteAndUndo() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 keep = conversations.create(std::nullopt, QStringLiteral("Keep")).id;
    const qint64 gone = conversations.create(std::nullopt, QStringLiteral("Gone")).id;
    messages.add(gone, std::nullopt, MessageRole::User, QStringLiteral("armadillo facts"));

    conversations.softDelete(gone);
    QCOMPARE(ids(conversations.list()), QList<qint64>{keep});
    QCOMPARE(ids(conversations.listDeleted()), QList<qint64>{gone});
    QVERIFY(conversations.get(gone).deletedAt.has_value());
    QVERIFY(conversations.search(QStringLiteral("armadillo")).isEmpty());
    // The messages are still there, waiting for undo.
    QCOMPARE(messages.all(gone).size(), 1);

    conversations.undoDelete(gone);
    QCOMPARE(ids(conversations.list()), (QList<qint64>{gone, keep}));
    QVERIFY(conversations.listDeleted().isEmpty());
    QVERIFY(!conversations.get(gone).deletedAt);
    QCOMPARE(ids(conversations.search(QStringLiteral("armadillo"))), QList<qint64>{gone});

    const auto missing = errorFrom([&] { conversations.softDelete(777); });
    QVERIFY(missing);
    QCOMPARE(int(missing->kind()), int(StorageErrorKind::NotFound));
}

void TestConversationStore::purgeRemovesMessages() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 old = conversations.create().id;
    const qint64 recent = conversations.create().id;
    const qint64 live = conversations.create().id;
    for (qint64 id : {old, recent, live}) {
        const qint64 first = messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("quokka")).id;
        const qint64 reply = messages.add(id, first, MessageRole::Assistant, QStringLiteral("marsupial")).id;
        messages.edit(first, QStringLiteral("quokka again"));
        messages.add(id, reply, MessageRole::User, QStringLiteral("more"));
    }
    conversations.softDelete(old);
    QTest::qWait(20);
    const QDateTime cutoff = QDateTime::currentDateTimeUtc();
    QTest::qWait(5);
    conversations.softDelete(recent);

    QCOMPARE(conversations.purgeDeletedBefore(cutoff), 1);
    QVERIFY(!conversations.find(old));
    QVERIFY(messages.all(old).isEmpty());
    QCOMPARE(ids(conversations.listDeleted()), QList<qint64>{recent});

    conversations.purge(recent);
    QVERIFY(!conversations.find(recent));
    QCOMPARE(count(*db_, "messages"), 4);
    QCOMPARE(ids(conversations.search(QStringLiteral("quokka"))), QList<qint64>{live});
    QVERIFY(searchIndexConsistent(*db_));
}

void TestConversationStore::searchFindsWordsInMessagesAndTitles() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 coffee = conversations.create(std::nullopt, QStringLiteral("Morning")).id;
    messages.add(coffee, std::nullopt, MessageRole::User, QStringLiteral("Where is the best Café in Paris?"));
    const qint64 rust = conversations.create(std::nullopt, QStringLiteral("Rust lifetimes")).id;
    messages.add(rust, std::nullopt, MessageRole::User, QStringLiteral("Explain borrowing in Rust"));
    const qint64 both = conversations.create(std::nullopt, QStringLiteral("Misc")).id;
    messages.add(both, std::nullopt, MessageRole::User, QStringLiteral("coffee and rust on my bike"));

    // Accent- and case-insensitive, word prefixes.
    QCOMPARE(ids(conversations.search(QStringLiteral("cafe"))), QList<qint64>{coffee});
    QCOMPARE(ids(conversations.search(QStringLiteral("PARI"))), QList<qint64>{coffee});
    // Every word must match (in one message), newest conversation first.
    QCOMPARE(ids(conversations.search(QStringLiteral("rust"))), (QList<qint64>{both, rust}));
    QCOMPARE(ids(conversations.search(QStringLiteral("rust bike"))), QList<qint64>{both});
    QVERIFY(conversations.search(QStringLiteral("rust paris")).isEmpty());
    // Titles match as text.
    QCOMPARE(ids(conversations.search(QStringLiteral("lifetimes"))), QList<qint64>{rust});
    QCOMPARE(ids(conversations.search(QStringLiteral("MORN"))), QList<qint64>{coffee});

    const QList<ConversationMatch> hit = conversations.search(QStringLiteral("borrow"));
    QCOMPARE(hit.size(), 1);
    QVERIFY2(hit[0].snippet.contains(QStringLiteral("borrowing")), qPrintable(hit[0].snippet));
    QCOMPARE(conversations.search(QString()).size(), 3);
}

void TestConversationStore::searchIgnoresQuerySyntax() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create(std::nullopt, QStringLiteral("C++ *tricks* (50%)")).id;
    messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("NEAR AND OR NOT are words too"));
    for (const char* query : {"\"", "*", "NEAR(", "AND", "OR NOT", "a\"b", "^x", "-", "col:word", "(50%)"}) {
        const auto error = errorFrom([&] { conversations.search(QString::fromUtf8(query)); });
        QVERIFY2(!error, error ? error->what() : query);
    }
    QCOMPARE(ids(conversations.search(QStringLiteral("AND"))), QList<qint64>{id});
    QCOMPARE(ids(conversations.search(QStringLiteral("near or"))), QList<qint64>{id});
    QCOMPARE(ids(conversations.search(QStringLiteral("(50%)"))), QList<qint64>{id});
    QCOMPARE(ids(conversations.search(QStringLiteral("%"))), QList<qint64>{id});
    QVERIFY(conversations.search(QStringLiteral("_z")).isEmpty());
}

void TestConversationStore::searchSkipsStreamingReplies() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create().id;
    messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("tell me about otters"));
    const qint64 reply = messages.beginAssistant(id, std::nullopt);
    QVERIFY(messages.appendStreaming(reply, QStringLiteral("Otters hold hands while sleeping")));
    QVERIFY(conversations.search(QStringLiteral("sleeping")).isEmpty());
    QVERIFY(searchIndexConsistent(*db_));

    QVERIFY(messages.finish(reply, 6, 30.0));
    QCOMPARE(ids(conversations.search(QStringLiteral("sleeping"))), QList<qint64>{id});
    QVERIFY(searchIndexConsistent(*db_));
}

void TestConversationStore::editCreatesSiblingBranch() {
    const qint64 conversation = ConversationStore(*db_).create().id;
    MessageStore messages(*db_);
    const qint64 question = messages.add(conversation, std::nullopt, MessageRole::User, QStringLiteral("2+2?")).id;
    const qint64 answer = messages.add(conversation, question, MessageRole::Assistant, QStringLiteral("4")).id;

    const qint64 edited = messages.edit(question, QStringLiteral("3+3?"));
    QCOMPARE(ids(messages.siblings(question)), (QList<qint64>{question, edited}));
    QCOMPARE(messages.get(edited).role, MessageRole::User);
    QCOMPARE(messages.get(edited).parentId, std::nullopt);
    QCOMPARE(messages.get(question).content, QStringLiteral("2+2?"));

    // The new branch is the current one; the old stays reachable.
    QCOMPARE(messages.latestLeaf(conversation), std::optional<qint64>(edited));
    const qint64 reply = messages.beginAssistant(conversation, std::nullopt);
    QVERIFY(messages.appendStreaming(reply, QStringLiteral("6")));
    QVERIFY(messages.finish(reply, 1, 10.0));
    QCOMPARE(ids(messages.thread(conversation)), (QList<qint64>{edited, reply}));
    QCOMPARE(ids(messages.path(answer)), (QList<qint64>{question, answer}));
    QCOMPARE(ids(messages.children(conversation, std::nullopt)), (QList<qint64>{question, edited}));
    QCOMPARE(ids(messages.children(conversation, edited)), QList<qint64>{reply});

    // Regenerating an answer is a sibling of it, answering the same question.
    const qint64 other = messages.beginAssistant(conversation, std::nullopt, edited);
    QCOMPARE(ids(messages.siblings(reply)), (QList<qint64>{reply, other}));
    QVERIFY(searchIndexConsistent(*db_));
}

void TestConversationStore::removeDeletesReplies() {
    const qint64 conversation = ConversationStore(*db_).create().id;
    MessageStore messages(*db_);
    const qint64 a = messages.add(conversation, std::nullopt, MessageRole::User, QStringLiteral("a")).id;
    const qint64 b = messages.add(conversation, a, MessageRole::Assistant, QStringLiteral("b")).id;
    std::optional<qint64> tip = b;
    // A long chain below b, deeper than SQLite's trigger recursion limit.
    Transaction transaction(*db_);
    for (int i = 0; i < 1200; ++i)
        tip = messages.add(conversation, tip, i % 2 ? MessageRole::Assistant : MessageRole::User, QStringLiteral("x")).id;
    transaction.commit();
    const qint64 a2 = messages.edit(a, QStringLiteral("a2"));

    messages.remove(b);
    QCOMPARE(ids(messages.all(conversation)), (QList<qint64>{a, a2}));
    messages.remove(a);
    QCOMPARE(ids(messages.all(conversation)), QList<qint64>{a2});
    QVERIFY(searchIndexConsistent(*db_));

    const auto missing = errorFrom([&] { messages.remove(b); });
    QVERIFY(missing);
    QCOMPARE(int(missing->kind()), int(StorageErrorKind::NotFound));
}

void TestConversationStore::messageMustStayInItsConversation() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 first = conversations.create().id;
    const qint64 second = conversations.create().id;
    const qint64 elsewhere = messages.add(first, std::nullopt, MessageRole::User, QStringLiteral("hi")).id;
    const auto error = errorFrom([&] { messages.add(second, elsewhere, MessageRole::User, QStringLiteral("no")); });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::InvalidData));
    QVERIFY(messages.all(second).isEmpty());
    const auto gone = errorFrom([&] { messages.add(4242, std::nullopt, MessageRole::User, QStringLiteral("no")); });
    QVERIFY(gone);
    QCOMPARE(int(gone->kind()), int(StorageErrorKind::NotFound));
}

void TestConversationStore::streamingLifecycle() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const Model model = ModelStore(*db_).add({0, QStringLiteral("M"), QStringLiteral("llama"), 1, {}, {}, {}});
    const qint64 variant = VariantStore(*db_)
                               .add({0, model.id, QStringLiteral("Q8_0"), QStringLiteral("/m/q8.gguf"), 1, {},
                                     VariantOrigin::Derived, {}, {}, {}})
                               .id;
    const qint64 id = conversations.create(variant).id;
    const qint64 question = messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("Count")).id;
    const QDateTime before = conversations.get(id).updatedAt;
    QTest::qWait(5);

    const qint64 reply = messages.beginAssistant(id, variant);
    Message streaming = messages.get(reply);
    QCOMPARE(streaming.status, MessageStatus::Streaming);
    QCOMPARE(streaming.content, QString());
    QCOMPARE(streaming.parentId, std::optional<qint64>(question));
    QCOMPARE(streaming.variantId, std::optional<qint64>(variant));
    QVERIFY(conversations.get(id).updatedAt > before);

    QVERIFY(messages.appendStreaming(reply, QStringLiteral("one")));
    QVERIFY(messages.appendStreaming(reply, QStringLiteral("one two")));
    QCOMPARE(messages.get(reply).content, QStringLiteral("one two"));
    QVERIFY(messages.finish(reply, 2, 25.5));
    const Message done = messages.get(reply);
    QCOMPARE(done.status, MessageStatus::Complete);
    QCOMPARE(done.content, QStringLiteral("one two"));
    QCOMPARE(done.tokenCount, std::optional<qint64>(2));
    QCOMPARE(done.tokensPerSecond, std::optional<double>(25.5));
    // A finished reply takes no more text and does not finish twice.
    QVERIFY(!messages.appendStreaming(reply, QStringLiteral("late")));
    QVERIFY(!messages.finish(reply, 3, 1.0));
    QCOMPARE(messages.get(reply).content, QStringLiteral("one two"));

    const qint64 stopped = messages.beginAssistant(id, variant, question);
    QVERIFY(messages.appendStreaming(stopped, QStringLiteral("half")));
    QVERIFY(messages.interrupt(stopped));
    QCOMPARE(messages.get(stopped).status, MessageStatus::Interrupted);
    QCOMPARE(messages.get(stopped).content, QStringLiteral("half"));

    const qint64 failed = messages.beginAssistant(id, variant, question);
    QVERIFY(messages.fail(failed));
    QCOMPARE(messages.get(failed).status, MessageStatus::Error);

    // The conversation was deleted while a reply streamed into it.
    const qint64 orphan = messages.beginAssistant(id, variant);
    conversations.purge(id);
    QVERIFY(!messages.appendStreaming(orphan, QStringLiteral("nobody listens")));
    QVERIFY(!messages.finish(orphan, 1, 1.0));
}

void TestConversationStore::appendStreamingIsCheap() {
    const qint64 id = ConversationStore(*db_).create().id;
    MessageStore messages(*db_);
    const qint64 reply = messages.beginAssistant(id, std::nullopt);
    QString text;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 1000; ++i) {
        text += QStringLiteral("token%1 ").arg(i);
        QVERIFY(messages.appendStreaming(reply, text));
    }
    // About 50 us each here; the bound only catches a write that syncs to
    // disk or re-indexes the text each time.
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(messages.get(reply).content, text);
}

void TestConversationStore::catalogueAndEvaluations() {
    ModelStore models(*db_);
    VariantStore variants(*db_);
    EvaluationStore evaluations(*db_);
    const Model model = models.add({0, QStringLiteral("SmolLM2-135M"), QStringLiteral("llama"), 134515008,
                                    QStringLiteral("Apache-2.0"), QStringLiteral("huggingface"), {}});
    QCOMPARE(models.get(model.id).name, QStringLiteral("SmolLM2-135M"));
    const Variant f16 = variants.add({0, model.id, QStringLiteral("F16"), QStringLiteral("/m/smol-f16.gguf"), 270000000,
                                      QStringLiteral("abc"), VariantOrigin::Bundled, {}, {}, {}});
    const Variant q4 = variants.add({0, model.id, QStringLiteral("Q4_1"), QStringLiteral("/m/smol-q4.gguf"), 90000000,
                                     QStringLiteral("def"), VariantOrigin::Derived, f16.id, {}, {}});
    QCOMPARE(variants.findByPath(QStringLiteral("/m/smol-q4.gguf"))->id, q4.id);
    QVERIFY(!variants.findByPath(QStringLiteral("/m/none.gguf")));
    QCOMPARE(variants.forModel(model.id).size(), 2);
    QCOMPARE(variants.derivedFrom(f16.id).size(), 1);
    QCOMPARE(variants.get(q4.id).origin, VariantOrigin::Derived);
    QVERIFY(!variants.get(q4.id).quality.perplexity);

    // The same file cannot be registered twice.
    const auto duplicate = errorFrom([&] {
        variants.add({0, model.id, QStringLiteral("Q4_1"), QStringLiteral("/m/smol-q4.gguf"), 1, {},
                      VariantOrigin::Imported, {}, {}, {}});
    });
    QVERIFY(duplicate);

    const QDateTime measured = QDateTime::fromMSecsSinceEpoch(1700000000000, Qt::UTC);
    const QualityFigures figures{14.2, 0.031, 92.5, 61.0, measured};
    const Evaluation recorded = evaluations.record(
        {0, f16.id, q4.id, QStringLiteral("kld"), QStringLiteral("wiki.test, 4096 tokens"),
         QJsonObject{{QStringLiteral("kld_mean"), 0.031}, {QStringLiteral("tokens"), 4096}}, {}},
        figures);
    QCOMPARE(variants.get(q4.id).quality, figures);
    const std::optional<Evaluation> latest = evaluations.latest(f16.id, q4.id);
    QVERIFY(latest);
    QCOMPARE(latest->id, recorded.id);
    QCOMPARE(latest->results.value(QStringLiteral("tokens")).toInt(), 4096);
    QCOMPARE(latest->dataset, QStringLiteral("wiki.test, 4096 tokens"));
    QCOMPARE(evaluations.forVariant(q4.id).size(), 1);

    // Both or neither: when updating the figures fails, the evaluation goes too.
    db_->exec("CREATE TEMP TRIGGER refuse_figures BEFORE UPDATE OF ppl ON main.variants "
              "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");
    const auto error = errorFrom([&] {
        evaluations.record({0, f16.id, q4.id, QStringLiteral("kld"), {}, {}, {}}, QualityFigures{1.0, {}, {}, {}, {}});
    });
    QVERIFY(error);
    QCOMPARE(count(*db_, "evaluations"), 1);
    QCOMPARE(variants.get(q4.id).quality, figures);
    db_->exec("DROP TRIGGER temp.refuse_figures");

    evaluations.remove(recorded.id);
    QVERIFY(!evaluations.latest(f16.id, q4.id));

    models.remove(model.id);
    QVERIFY(models.list().isEmpty());
    QCOMPARE(count(*db_, "variants"), 0);
}

void TestConversationStore::removingVariantKeepsConversations() {
    const Model model = ModelStore(*db_).add({0, QStringLiteral("M"), QStringLiteral("llama"), 1, {}, {}, {}});
    VariantStore variants(*db_);
    const Variant base = variants.add(
        {0, model.id, QStringLiteral("F32"), QStringLiteral("/m/f32.gguf"), 1, {}, VariantOrigin::Bundled, {}, {}, {}});
    const Variant small = variants.add({0, model.id, QStringLiteral("Q4_0"), QStringLiteral("/m/q4.gguf"), 1, {},
                                        VariantOrigin::Derived, base.id, {}, {}});
    EvaluationStore(*db_).add({0, base.id, small.id, QStringLiteral("speed"), {}, {}, {}});
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create(small.id).id;
    const qint64 reply = messages.beginAssistant(id, small.id);
    QVERIFY(messages.appendStreaming(reply, QStringLiteral("kept")));
    QVERIFY(messages.finish(reply, 1, 1.0));

    variants.remove(base.id);
    QVERIFY(!variants.get(small.id).derivedFromVariantId);
    QCOMPARE(count(*db_, "evaluations"), 0);

    variants.remove(small.id);
    QVERIFY(!conversations.get(id).variantId);
    QVERIFY(!messages.get(reply).variantId);
    QCOMPARE(messages.get(reply).content, QStringLiteral("kept"));
}

void TestConversationStore::exportImportRoundTrip() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create(std::nullopt, QStringLiteral("Émoji 🐧 & \"quotes\"")).id;
    conversations.setSystemPrompt(id, QStringLiteral("Line one\n\nLine three"));
    conversations.setSampling(id, QJsonObject{{QStringLiteral("temperature"), 0.8}, {QStringLiteral("seed"), 42}});
    const qint64 q = messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("Question ✓")).id;
    const qint64 a = messages.beginAssistant(id, std::nullopt);
    QVERIFY(messages.appendStreaming(a, QStringLiteral("Answer\nwith `code`")));
    QVERIFY(messages.finish(a, 5, 33.25));
    const qint64 q2 = messages.edit(q, QStringLiteral("Better question"));
    const qint64 a2 = messages.beginAssistant(id, std::nullopt);
    QVERIFY(messages.appendStreaming(a2, QStringLiteral("Cut sh")));
    QVERIFY(messages.interrupt(a2));

    ConversationIo io(*db_);
    const QByteArray json = io.exportJson(id);
    const qint64 copy = io.importJson(json);
    QVERIFY(copy != id);

    const Conversation original = conversations.get(id);
    const Conversation imported = conversations.get(copy);
    QCOMPARE(imported.title, original.title);
    QCOMPARE(imported.systemPrompt, original.systemPrompt);
    QCOMPARE(imported.sampling, original.sampling);
    QCOMPARE(imported.createdAt, original.createdAt);
    QCOMPARE(imported.updatedAt, original.updatedAt);

    const QList<Message> before = messages.all(id);
    const QList<Message> after = messages.all(copy);
    QCOMPARE(after.size(), before.size());
    QHash<qint64, qint64> mapped;
    for (qsizetype i = 0; i < before.size(); ++i) {
        mapped.insert(before[i].id, after[i].id);
        QCOMPARE(after[i].role, before[i].role);
        QCOMPARE(after[i].content, before[i].content);
        QCOMPARE(after[i].status, before[i].status);
        QCOMPARE(after[i].tokenCount, before[i].tokenCount);
        QCOMPARE(after[i].tokensPerSecond, before[i].tokensPerSecond);
        QCOMPARE(after[i].createdAt, before[i].createdAt);
        QCOMPARE(after[i].parentId.has_value(), before[i].parentId.has_value());
        if (before[i].parentId) QCOMPARE(*after[i].parentId, mapped.value(*before[i].parentId));
    }
    QCOMPARE(messages.siblings(mapped.value(q)).size(), 2);
    QCOMPARE(ids(messages.thread(copy)), (QList<qint64>{mapped.value(q2), mapped.value(a2)}));

    // Exporting the copy gives the same document up to the ids.
    QJsonObject first = QJsonDocument::fromJson(json).object();
    QJsonObject second = QJsonDocument::fromJson(io.exportJson(copy)).object();
    first.remove(QStringLiteral("messages"));
    second.remove(QStringLiteral("messages"));
    QCOMPARE(second, first);
    QVERIFY(searchIndexConsistent(*db_));
}

void TestConversationStore::importRejectsInvalidFiles_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("problem");
    const QByteArray head = R"({"format": "nibble-conversation", "version": 1, "title": "t", "messages": )";
    QTest::newRow("not json") << QByteArray("{\"format\": ") << "not valid JSON";
    QTest::newRow("array") << QByteArray("[1, 2]") << "not a Nibble conversation export";
    QTest::newRow("other format") << QByteArray(R"({"format": "chatgpt", "version": 1, "messages": []})")
                                  << "not a Nibble conversation export";
    QTest::newRow("newer format") << QByteArray(R"({"format": "nibble-conversation", "version": 7, "messages": []})")
                                  << "newer version of Nibble";
    QTest::newRow("no version") << QByteArray(R"({"format": "nibble-conversation", "messages": []})")
                                << "no format version";
    QTest::newRow("no messages") << QByteArray(R"({"format": "nibble-conversation", "version": 1})")
                                 << "no list of messages";
    QTest::newRow("title not text") << QByteArray(R"({"format": "nibble-conversation", "version": 1, "title": 5,
                                                    "messages": []})")
                                    << "\"title\" that is not text";
    QTest::newRow("bad role") << head + R"([{"id": 1, "role": "robot", "content": "x"}]})"
                              << "message 1 has an unknown role";
    QTest::newRow("missing content") << head + R"([{"id": 1, "role": "user"}]})" << "message 1 has no \"content\"";
    QTest::newRow("forward parent")
        << head + R"([{"id": 1, "role": "user", "content": "a"}, {"id": 2, "parent": 3, "role": "user", "content": "b"},
                      {"id": 3, "role": "user", "content": "c"}]})"
        << "message 2 answers message 3, which does not come before it";
    QTest::newRow("self parent") << head + R"([{"id": 1, "parent": 1, "role": "user", "content": "a"}]})"
                                 << "does not come before it";
    QTest::newRow("duplicate id")
        << head + R"([{"id": 1, "role": "user", "content": "a"}, {"id": 1, "role": "user", "content": "b"}]})"
        << "message 2 repeats the id 1";
    QTest::newRow("fractional id") << head + R"([{"id": 1.5, "role": "user", "content": "a"}]})"
                                   << "\"id\" that is not a whole number";
    QTest::newRow("negative tokens") << head + R"([{"id": 1, "role": "user", "content": "a", "tokenCount": -3}]})"
                                     << "\"tokenCount\" that is not a whole number";
    QTest::newRow("bad status") << head + R"([{"id": 1, "role": "user", "content": "a", "status": "done"}]})"
                                << "unknown status";
    QTest::newRow("bad date") << head + R"([{"id": 1, "role": "user", "content": "a", "createdAt": "yesterday"}]})"
                              << "\"createdAt\" that is not a date and time";
}

void TestConversationStore::importRejectsInvalidFiles() {
    QFETCH(QByteArray, json);
    QFETCH(QString, problem);
    const auto error = errorFrom([&] { ConversationIo(*db_).importJson(json); });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::InvalidData));
    QVERIFY2(error->message().contains(problem), error->what());
    QCOMPARE(count(*db_, "conversations"), 0);
    QCOMPARE(count(*db_, "messages"), 0);
}

void TestConversationStore::exportMarkdownShowsCurrentBranch() {
    ConversationStore conversations(*db_);
    MessageStore messages(*db_);
    const qint64 id = conversations.create(std::nullopt, QStringLiteral("Poems")).id;
    conversations.setSystemPrompt(id, QStringLiteral("You write poems.\n\nShort ones."));
    const qint64 q = messages.add(id, std::nullopt, MessageRole::User, QStringLiteral("A poem about rain")).id;
    messages.add(id, q, MessageRole::Assistant, QStringLiteral("Drip drop"));
    messages.edit(q, QStringLiteral("A poem about snow"));
    const qint64 reply = messages.beginAssistant(id, std::nullopt);
    QVERIFY(messages.appendStreaming(reply, QStringLiteral("White hush")));
    QVERIFY(messages.interrupt(reply));

    const QString markdown = ConversationIo(*db_).exportMarkdown(id);
    QCOMPARE(markdown, QStringLiteral("# Poems\n"
                                      "\n**System prompt**\n\n> You write poems.\n>\n> Short ones.\n"
                                      "\n**User**\n\nA poem about snow\n"
                                      "\n**Assistant**\n\nWhite hush\n"
                                      "\n*(This reply was interrupted.)*\n"));
}

QTEST_GUILESS_MAIN(TestConversationStore)
#include "test_conversation_store.moc"
