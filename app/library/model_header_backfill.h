#pragma once
// Models registered before the store kept what their file's header says
// (whether it has a chat template, schema 3) learn it here: the headers are
// read on the thread pool, since the UI thread never waits on a file, and the
// answers are written back on the thread that owns the database connection,
// all in one transaction.
#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QStringList>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class ModelHeaderBackfill : public QObject {
    Q_OBJECT

public:
    struct Pending {
        qint64 modelId = 0;
        QStringList filePaths;  // its variants' files: the first that reads answers
    };
    struct Answer {
        qint64 modelId = 0;
        bool hasChatTemplate = false;
    };

    explicit ModelHeaderBackfill(const storage::Database& db, QObject* parent = nullptr);
    // Waits for the headers being read (one small read per file).
    ~ModelHeaderBackfill() override;

    // Starts reading the headers of every model the store lacks them for;
    // returns false, and finished() does not come, when there is none.
    bool start();

    // What the files say; a model none of whose files reads (moved, deleted)
    // has no answer and is tried again at the next start.
    static QList<Answer> readHeaders(const QList<Pending>& pending);

signals:
    // After the answers are stored; filled is how many models got one.
    void finished(int filled);

private:
    void store(const QList<Answer>& answers);

    const storage::Database& db_;
    QFutureWatcher<QList<Answer>> watcher_;
};

}  // namespace nibble::app
