// Storage database layer: schema migrations from a hand-made version-1 file,
// transactions that leave nothing behind, a reply that was streaming when the
// process was killed, and every way a file is refused (newer, damaged,
// read-only, locked) with a clear error and its bytes unchanged.
#include "storage/conversation_io.h"
#include "storage/conversation_store.h"
#include "storage/database.h"
#include "storage/evaluation_store.h"
#include "storage/message_store.h"
#include "storage/model_store.h"
#include "storage/schema.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "storage/variant_store.h"
#include "frozen_schema_v1.h"
#include "storage_test_util.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>

using namespace nibble::storage;
using namespace nibble::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kStreamedText = "Once upon a time";

template <typename F>
std::optional<StorageError> errorFrom(F&& action) {
    try {
        action();
    } catch (const StorageError& error) {
        return error;
    }
    return std::nullopt;
}

// The test binary re-run as a child process: "stream" writes part of a reply
// and kills itself; "open" reports what opening a database gives.
int runChild(const QStringList& args) {
    try {
        if (args.value(0) == QLatin1String("stream") && args.size() == 3) {
            Database db = Database::open(args[1]);
            MessageStore messages(db);
            const qint64 id = messages.beginAssistant(args[2].toLongLong(), std::nullopt);
            QString text;
            for (const char* piece : {"Once", " upon", " a", " time"}) {
                text += QLatin1String(piece);
                if (!messages.appendStreaming(id, text)) return 3;
            }
            std::printf("%lld\n", static_cast<long long>(id));
            std::fflush(stdout);
            std::raise(SIGKILL);
        }
        if (args.value(0) == QLatin1String("open") && args.size() == 2) {
            Database::open(args[1], DatabaseOptions{200ms});
            std::printf("opened euid=%d\n", int(geteuid()));
            return 0;
        }
    } catch (const StorageError& error) {
        std::printf("error kind=%d euid=%d %s\n", int(error.kind()), int(geteuid()), error.what());
        return 0;
    }
    return 2;
}

struct ChildResult {
    QProcess::ExitStatus exitStatus;
    QString output;
};

// Runs this test binary in child mode. asUnprivileged: drop to "nobody"
// first when running as root, whom file permissions do not stop.
ChildResult runSelf(const QStringList& args, bool asUnprivileged = false) {
    QProcess child;
    child.setProgram(QCoreApplication::applicationFilePath());
    child.setArguments(QStringList{QStringLiteral("--child")} + args);
    if (asUnprivileged && geteuid() == 0) {
        const passwd* nobody = getpwnam("nobody");
        const uid_t uid = nobody ? nobody->pw_uid : 65534;
        const gid_t gid = nobody ? nobody->pw_gid : 65534;
        child.setChildProcessModifier([uid, gid] {
            if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(42);
        });
    }
    child.start();
    child.waitForFinished(30000);
    return {child.exitStatus(), QString::fromUtf8(child.readAllStandardOutput()).trimmed()};
}

void makeDatabaseWithContent(const QString& path, int messageCount) {
    Database db = Database::open(path);
    ConversationStore conversations(db);
    MessageStore messages(db);
    const Conversation conversation = conversations.create(std::nullopt, QStringLiteral("Filled"));
    std::optional<qint64> parent;
    Transaction transaction(db);
    for (int i = 0; i < messageCount; ++i)
        parent = messages.add(conversation.id, parent, i % 2 ? MessageRole::Assistant : MessageRole::User,
                              QStringLiteral("message %1 ").arg(i).repeated(40))
                     .id;
    transaction.commit();
}

}  // namespace

class TestStorage : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString path(const char* name) const { return dir_.filePath(QLatin1String(name)); }

private slots:
    void freshDatabaseIsAtLatestSchema();
    void migratesVersionOneFile();
    void refusesNewerSchemaUntouched();
    void transactionFailureLeavesNothing();
    void nestedTransactionRollsBackAlone();
    void importFailingMidwayLeavesNothing();
    void streamingReplySurvivesKill();
    void corruptFileIsReportedUntouched_data();
    void corruptFileIsReportedUntouched();
    void quarantineMovesFileAside();
    void readOnlyFileIsReported();
    void readOnlyFolderIsReported();
    void lockedDatabaseIsReported_data();
    void lockedDatabaseIsReported();
};

void TestStorage::freshDatabaseIsAtLatestSchema() {
    const QString file = path("fresh/nested/nibble.db");
    Database db = Database::open(file);
    QCOMPARE(db.schemaVersion(), schema::latestVersion());
    QVERIFY(schema::latestVersion() >= 2);
    QVERIFY(QFileInfo::exists(file));
    RawDb raw(file);
    QCOMPARE(raw.scalar("PRAGMA journal_mode"), QStringLiteral("wal"));
    QCOMPARE(raw.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'message_search'"), QStringLiteral("1"));
    Statement fk = db.prepare("PRAGMA foreign_keys");
    QVERIFY(fk.step());
    QCOMPARE(fk.int64(0), 1);
}

void TestStorage::migratesVersionOneFile() {
    const QString file = path("v1.db");
    {
        RawDb raw(file);
        QCOMPARE(raw.exec(kSchemaV1), SQLITE_OK);
        QCOMPARE(raw.exec(R"sql(
            INSERT INTO models VALUES (1, 'SmolLM2', 'llama', 135000000, 'Apache-2.0', 'hf', 1000);
            INSERT INTO variants VALUES (1, 1, 'F16', '/m/smol-f16.gguf', 270, 'aa', 'downloaded', NULL,
                                         NULL, NULL, NULL, NULL, NULL, 1000);
            INSERT INTO variants VALUES (2, 1, 'Q4_1', '/m/smol-q4_1.gguf', 90, 'bb', 'derived', 1,
                                         12.5, 0.03, 91.5, 48.0, 3000, 1100);
            INSERT INTO conversations VALUES (1, 'Old chat', 2, 'Be brief.', '{"temperature":0.7}', 1000, 5000, NULL);
            INSERT INTO messages VALUES (1, 1, NULL, 'user', 'Tell me about penguins', NULL, NULL, NULL,
                                         'complete', 1000, 1000);
            INSERT INTO messages VALUES (2, 1, 1, 'assistant', 'Penguins are flightless seabirds.', 7, 40.5, 2,
                                         'complete', 2000, 2000);
            INSERT INTO messages VALUES (3, 1, 2, 'user', 'And walruses?', NULL, NULL, NULL, 'complete', 3000, 3000);
            INSERT INTO messages VALUES (4, 1, 3, 'assistant', 'Walruses have long tusks and', NULL, NULL, 2,
                                         'streaming', 4000, 5000);
            INSERT INTO evaluations VALUES (1, 1, 2, 'kld', 'wiki.test 4k tokens', '{"kld_mean":0.03}', 3000);
        )sql"),
                 SQLITE_OK);
        QCOMPARE(raw.scalar("PRAGMA user_version"), QStringLiteral("1"));
    }

    Database db = Database::open(file);
    QCOMPARE(db.schemaVersion(), schema::latestVersion());

    const Conversation conversation = ConversationStore(db).get(1);
    QCOMPARE(conversation.title, QStringLiteral("Old chat"));
    QCOMPARE(conversation.variantId, std::optional<qint64>(2));
    QCOMPARE(conversation.systemPrompt, QStringLiteral("Be brief."));
    QCOMPARE(conversation.sampling.value(QStringLiteral("temperature")).toDouble(), 0.7);
    QCOMPARE(conversation.updatedAt.toMSecsSinceEpoch(), 5000);

    MessageStore messages(db);
    const QList<Message> thread = messages.thread(1);
    QCOMPARE(thread.size(), 4);
    QCOMPARE(thread[1].content, QStringLiteral("Penguins are flightless seabirds."));
    QCOMPARE(thread[1].tokenCount, std::optional<qint64>(7));
    QCOMPARE(thread[1].parentId, std::optional<qint64>(1));
    // The reply that was streaming when the old version stopped.
    QCOMPARE(thread[3].status, MessageStatus::Interrupted);
    QCOMPARE(thread[3].content, QStringLiteral("Walruses have long tusks and"));

    const Variant derived = VariantStore(db).get(2);
    QCOMPARE(derived.origin, VariantOrigin::Derived);
    QCOMPARE(derived.derivedFromVariantId, std::optional<qint64>(1));
    QCOMPARE(derived.quality.perplexity, std::optional<double>(12.5));
    QCOMPARE(derived.quality.measuredAt->toMSecsSinceEpoch(), 3000);
    const Model model = ModelStore(db).get(1);
    QCOMPARE(model.parameterCount, 135000000);
    QCOMPARE(model.name, QStringLiteral("SmolLM2"));
    // Migration 3: not known until a header is read, then kept.
    QVERIFY(!model.hasChatTemplate);
    ModelStore(db).setHasChatTemplate(1, false);
    QCOMPARE(ModelStore(db).get(1).hasChatTemplate, std::optional<bool>(false));
    QCOMPARE(EvaluationStore(db).latest(1, 2)->results.value(QStringLiteral("kld_mean")).toDouble(), 0.03);

    // Migration 2 indexed the messages that were already there.
    const QList<ConversationMatch> penguins = ConversationStore(db).search(QStringLiteral("penguin"));
    QCOMPARE(penguins.size(), 1);
    QVERIFY2(penguins[0].snippet.contains(QStringLiteral("penguins"), Qt::CaseInsensitive),
             qPrintable(penguins[0].snippet));
    QCOMPARE(ConversationStore(db).search(QStringLiteral("tusks")).size(), 1);

    RawDb raw(file);
    QCOMPARE(raw.scalar("PRAGMA integrity_check"), QStringLiteral("ok"));
    QCOMPARE(raw.exec("INSERT INTO message_search(message_search) VALUES ('integrity-check')"), SQLITE_OK);
    QCOMPARE(raw.scalar("SELECT count(*) FROM pragma_foreign_key_check"), QStringLiteral("0"));
}

void TestStorage::refusesNewerSchemaUntouched() {
    const QString file = path("newer.db");
    {
        Database db = Database::open(file);
        ConversationStore(db).create(std::nullopt, QStringLiteral("From the future"));
    }
    {
        RawDb raw(file);
        QCOMPARE(raw.exec(QStringLiteral("PRAGMA user_version = %1").arg(schema::latestVersion() + 1)), SQLITE_OK);
    }
    const QByteArray before = fileBytes(file);
    QVERIFY(!before.isEmpty());

    const auto error = errorFrom([&] { Database::open(file); });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::NewerSchema));
    QVERIFY2(error->message().contains(QStringLiteral("newer version of Nibble")), error->what());
    QVERIFY2(error->message().contains(file), error->what());
    QCOMPARE(fileBytes(file), before);
}

void TestStorage::transactionFailureLeavesNothing() {
    Database db = Database::open(path("tx.db"));
    ModelStore models(db);
    const auto error = errorFrom([&] {
        Transaction transaction(db);
        for (int i = 0; i < 3; ++i) models.add(Model{0, QStringLiteral("m%1").arg(i), QStringLiteral("llama"), 1, {}, {}, {}});
        // The fourth row breaks a CHECK constraint part-way through.
        models.add(Model{0, QStringLiteral("bad"), QStringLiteral("llama"), -1, {}, {}, {}});
        transaction.commit();
    });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::InvalidData));
    QVERIFY(!db.inTransaction());
    QVERIFY(models.list().isEmpty());

    // And the connection is still fine for the next change.
    models.add(Model{0, QStringLiteral("good"), QStringLiteral("llama"), 1, {}, {}, {}});
    QCOMPARE(models.list().size(), 1);
}

void TestStorage::nestedTransactionRollsBackAlone() {
    Database db = Database::open(path("nested.db"));
    ModelStore models(db);
    {
        Transaction outer(db);
        models.add(Model{0, QStringLiteral("kept"), QStringLiteral("llama"), 1, {}, {}, {}});
        const auto error = errorFrom([&] {
            Transaction inner(db);
            models.add(Model{0, QStringLiteral("dropped"), QStringLiteral("llama"), 1, {}, {}, {}});
            models.add(Model{0, QStringLiteral("bad"), QStringLiteral("llama"), -1, {}, {}, {}});
            inner.commit();
        });
        QVERIFY(error);
        QVERIFY(db.inTransaction());
        outer.commit();
    }
    const QList<Model> all = models.list();
    QCOMPARE(all.size(), 1);
    QCOMPARE(all[0].name, QStringLiteral("kept"));
}

void TestStorage::importFailingMidwayLeavesNothing() {
    Database db = Database::open(path("import-fail.db"));
    const QByteArray json = R"({"format": "nibble-conversation", "version": 1, "title": "Five messages",
        "messages": [
            {"id": 1, "parent": null, "role": "user", "content": "one"},
            {"id": 2, "parent": 1, "role": "assistant", "content": "two"},
            {"id": 3, "parent": 2, "role": "user", "content": "three"},
            {"id": 4, "parent": 3, "role": "assistant", "content": "four"},
            {"id": 5, "parent": 4, "role": "user", "content": "five"}]})";
    // The disk "fails" on the third message, after two rows went in.
    db.exec("CREATE TEMP TRIGGER fail_third AFTER INSERT ON main.messages "
            "WHEN new.content = 'three' BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");
    const auto error = errorFrom([&] { ConversationIo(db).importJson(json); });
    QVERIFY(error);
    Statement count = db.prepare("SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM messages)");
    QVERIFY(count.step());
    QCOMPARE(count.int64(0), 0);

    db.exec("DROP TRIGGER temp.fail_third");
    const qint64 id = ConversationIo(db).importJson(json);
    QCOMPARE(MessageStore(db).thread(id).size(), 5);
}

void TestStorage::streamingReplySurvivesKill() {
    const QString file = path("crash.db");
    qint64 conversationId = 0;
    {
        Database db = Database::open(file);
        conversationId = ConversationStore(db).create().id;
        MessageStore(db).add(conversationId, std::nullopt, MessageRole::User, QStringLiteral("Tell me a story"));
    }

    const ChildResult child = runSelf({QStringLiteral("stream"), file, QString::number(conversationId)});
    QCOMPARE(child.exitStatus, QProcess::CrashExit);
    bool ok = false;
    const qint64 id = child.output.toLongLong(&ok);
    QVERIFY2(ok, qPrintable(child.output));

    {
        // What the killed process left: committed text, still marked streaming.
        RawDb raw(file);
        QCOMPARE(raw.scalar(QStringLiteral("SELECT status || ':' || content FROM messages WHERE id = %1").arg(id)),
                 QStringLiteral("streaming:") + QLatin1String(kStreamedText));
    }

    Database db = Database::open(file);
    const Message reply = MessageStore(db).get(id);
    QCOMPARE(reply.status, MessageStatus::Interrupted);
    QCOMPARE(reply.content, QLatin1String(kStreamedText));
    QCOMPARE(reply.role, MessageRole::Assistant);
    QVERIFY(reply.parentId.has_value());
    QCOMPARE(MessageStore(db).thread(conversationId).size(), 2);
    // Interrupted replies are searchable like finished ones.
    QCOMPARE(ConversationStore(db).search(QStringLiteral("upon")).size(), 1);
    Statement check = db.prepare("PRAGMA integrity_check");
    QVERIFY(check.step());
    QCOMPARE(check.text(0), QStringLiteral("ok"));
}

void TestStorage::corruptFileIsReportedUntouched_data() {
    QTest::addColumn<QString>("damage");
    QTest::newRow("random bytes") << "random";
    QTest::newRow("truncated database") << "truncated";
    QTest::newRow("overwritten pages") << "overwritten";
    QTest::newRow("another program's database") << "foreign";
}

void TestStorage::corruptFileIsReportedUntouched() {
    QFETCH(QString, damage);
    const QString file = dir_.filePath(QStringLiteral("corrupt-%1.db").arg(damage));
    QByteArray bytes;
    if (damage == QLatin1String("random")) {
        bytes.resize(16384);
        for (char& b : bytes) b = char(QRandomGenerator::global()->bounded(256));
    } else if (damage == QLatin1String("foreign")) {
        {
            RawDb raw(file);
            QCOMPARE(raw.exec("CREATE TABLE models (id INTEGER PRIMARY KEY, other TEXT)"), SQLITE_OK);
        }
        bytes = fileBytes(file);
    } else {
        makeDatabaseWithContent(file, 200);
        bytes = fileBytes(file);
        QVERIFY(bytes.size() > 20 * 4096);
        if (damage == QLatin1String("truncated")) {
            bytes.truncate(bytes.size() / 3);
        } else {
            for (qsizetype i = 8 * 4096; i < 12 * 4096; ++i) bytes[i] = char(QRandomGenerator::global()->bounded(256));
        }
    }
    writeBytes(file, bytes);

    const auto error = errorFrom([&] { Database::open(file); });
    QVERIFY(error);
    QCOMPARE(int(error->kind()), int(StorageErrorKind::Corrupt));
    QVERIFY2(error->message().contains(damage == QLatin1String("foreign") ? QStringLiteral("not a Nibble chat history")
                                                                          : QStringLiteral("damaged")),
             error->what());
    QVERIFY2(error->message().contains(file), error->what());
    QCOMPARE(fileBytes(file), bytes);
}

void TestStorage::quarantineMovesFileAside() {
    const QString file = path("quarantine.db");
    QByteArray garbage(8192, 'x');
    writeBytes(file, garbage);
    writeBytes(file + QStringLiteral("-wal"), QByteArray(100, 'w'));
    QVERIFY(errorFrom([&] { Database::open(file); }));

    const QString moved = Database::quarantine(file);
    QVERIFY2(moved.startsWith(file + QStringLiteral(".corrupt-")), qPrintable(moved));
    QCOMPARE(fileBytes(moved), garbage);
    QCOMPARE(fileBytes(moved + QStringLiteral("-wal")), QByteArray(100, 'w'));
    QVERIFY(!QFileInfo::exists(file));
    QVERIFY(!QFileInfo::exists(file + QStringLiteral("-wal")));

    Database db = Database::open(file);
    QVERIFY(ConversationStore(db).list().isEmpty());
    QCOMPARE(db.schemaVersion(), schema::latestVersion());

    // Quarantining the same name again picks another name, keeping both.
    const QString second = [&] {
        db = Database::open(path("other.db"));
        return Database::quarantine(file);
    }();
    QVERIFY(second != moved);
    QCOMPARE(fileBytes(moved), garbage);
}

void TestStorage::readOnlyFileIsReported() {
    // Permission bits do not stop root, so as root the child opening the file
    // drops to "nobody" first; the folder stays writable, only the file is not.
    QTemporaryDir folder;
    QVERIFY(chmod(folder.path().toUtf8().constData(), 0777) == 0);
    const QString file = folder.filePath(QStringLiteral("readonly.db"));
    makeDatabaseWithContent(file, 4);
    QVERIFY(chmod(file.toUtf8().constData(), 0444) == 0);
    const QByteArray before = fileBytes(file);

    const ChildResult child = runSelf({QStringLiteral("open"), file}, true);
    QCOMPARE(child.exitStatus, QProcess::NormalExit);
    QVERIFY2(child.output.startsWith(QStringLiteral("error kind=%1 ").arg(int(StorageErrorKind::ReadOnly))),
             qPrintable(child.output));
    QVERIFY2(!child.output.contains(QStringLiteral("euid=0 ")), qPrintable(child.output));
    QVERIFY2(child.output.contains(QStringLiteral("read-only")), qPrintable(child.output));
    QCOMPARE(fileBytes(file), before);
}

void TestStorage::readOnlyFolderIsReported() {
    // The file may be written, but SQLite cannot create its journal beside it.
    QTemporaryDir folder;
    const QString file = folder.filePath(QStringLiteral("in-readonly-folder.db"));
    makeDatabaseWithContent(file, 4);
    QVERIFY(!QFileInfo::exists(file + QStringLiteral("-wal")));
    QVERIFY(chmod(file.toUtf8().constData(), 0666) == 0);
    QVERIFY(chmod(folder.path().toUtf8().constData(), 0555) == 0);
    const QByteArray before = fileBytes(file);

    const ChildResult child = runSelf({QStringLiteral("open"), file}, true);
    QVERIFY(chmod(folder.path().toUtf8().constData(), 0700) == 0);
    QCOMPARE(child.exitStatus, QProcess::NormalExit);
    QVERIFY2(child.output.startsWith(QStringLiteral("error kind=%1 ").arg(int(StorageErrorKind::ReadOnly))),
             qPrintable(child.output));
    QVERIFY2(!child.output.contains(QStringLiteral("euid=0 ")), qPrintable(child.output));
    QVERIFY2(child.output.contains(QStringLiteral("the folder %1 is read-only").arg(folder.path())),
             qPrintable(child.output));
    QCOMPARE(fileBytes(file), before);
}

void TestStorage::lockedDatabaseIsReported_data() {
    QTest::addColumn<bool>("wal");
    QTest::newRow("write-ahead log") << true;
    QTest::newRow("rollback journal") << false;
}

void TestStorage::lockedDatabaseIsReported() {
    QFETCH(bool, wal);
    const QString file = dir_.filePath(wal ? QStringLiteral("locked-wal.db") : QStringLiteral("locked-rollback.db"));
    if (wal) {
        makeDatabaseWithContent(file, 4);
    } else {
        RawDb raw(file);
        QCOMPARE(raw.exec(kSchemaV1), SQLITE_OK);
    }
    const QByteArray before = fileBytes(file);
    {
        RawDb other(file);
        QCOMPARE(other.exec("BEGIN EXCLUSIVE; "
                            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('held', 0, 0)"),
                 SQLITE_OK);
        const auto error = errorFrom([&] { Database::open(file, DatabaseOptions{100ms}); });
        QVERIFY(error);
        QCOMPARE(int(error->kind()), int(StorageErrorKind::Locked));
        QVERIFY2(error->message().contains(QStringLiteral("in use by another program")), error->what());
        QCOMPARE(fileBytes(file), before);
        QCOMPARE(other.exec("ROLLBACK"), SQLITE_OK);
    }
    // Once the other program lets go, the file opens (and upgrades) normally.
    Database db = Database::open(file);
    QCOMPARE(db.schemaVersion(), schema::latestVersion());
}

int main(int argc, char** argv) {
    if (argc >= 2 && qstrcmp(argv[1], "--child") == 0) {
        QStringList args;
        for (int i = 2; i < argc; ++i) args.append(QString::fromLocal8Bit(argv[i]));
        return runChild(args);
    }
    QCoreApplication app(argc, argv);
    TestStorage test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_storage.moc"
