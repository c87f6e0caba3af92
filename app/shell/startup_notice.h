#pragma once
// What happened before this start that the user should know about, in plain
// words: a model not opened because it stopped Nibble while loading last
// time, a damaged chat history moved aside. Shown as a strip in the main
// window until dismissed.
#include <QObject>
#include <QStringList>

namespace nibble::app {

class StartupNotice : public QObject {
    Q_OBJECT
    // One paragraph per event; empty when there is nothing (more) to say.
    Q_PROPERTY(QString text READ text NOTIFY changed)

public:
    using QObject::QObject;

    QString text() const { return lines_.join(QStringLiteral("\n")); }
    void add(const QString& line);
    Q_INVOKABLE void dismiss();

signals:
    void changed();

private:
    QStringList lines_;
};

}  // namespace nibble::app
