// nibble-cli prints text from model files (metadata, names, token pieces,
// errors quoting them) with control characters escaped, so a file cannot
// drive the terminal.
#include "terminal_text.h"
#include "tiny_model.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using nibble::cli::printable;

class TestCliText : public QObject {
    Q_OBJECT
private slots:
    void plainTextIsKept() {
        QCOMPARE(printable("SmolLM2 135M, Ünïcödé ▁ 日本 🙂"), std::string("SmolLM2 135M, Ünïcödé ▁ 日本 🙂"));
        QCOMPARE(printable(""), std::string());
    }

    void controlCharactersAreEscaped() {
        QCOMPARE(printable("\x1b]0;pwned\x07title"), std::string("\\x1b]0;pwned\\x07title"));
        QCOMPARE(printable("a\nb\tc\rd\x7f"), std::string("a\\x0ab\\x09c\\x0dd\\x7f"));
        QCOMPARE(printable(std::string_view("nul\0end", 7)), std::string("nul\\x00end"));
        QCOMPARE(printable("\xc2\x9b" "31m"), std::string("\\u009b31m"));  // C1 CSI
        QCOMPARE(printable("\xc2\xa0"), std::string("\xc2\xa0"));          // no-break space is printable
    }

    void malformedUtf8IsEscaped() {
        QCOMPARE(printable("\x9b" "2J"), std::string("\\x9b2J"));    // a lone C1 byte
        QCOMPARE(printable("\xe2\x96"), std::string("\\xe2\\x96"));  // truncated sequence
        QCOMPARE(printable("\xc0\xaf"), std::string("\\xc0\\xaf"));  // overlong
        QCOMPARE(printable("\xed\xa0\x80"), std::string("\\xed\\xa0\\x80"));  // surrogate
    }

    void infoEscapesMetadata() {
        QTemporaryDir dir;
        const QString path = dir.path() + "/escapes.gguf";
        nibble::test::TinyModel model;
        model.name = "\x1b[2J\x1b]0;owned\x07name";
        model.write(path.toStdString());
        QProcess cli;
        cli.start(NIBBLE_CLI_PATH, {"info", path});
        QVERIFY(cli.waitForFinished(60000));
        QCOMPARE(cli.exitCode(), 0);
        const QByteArray out = cli.readAllStandardOutput();
        QVERIFY2(out.contains("general.name = \"\\x1b[2J\\x1b]0;owned\\x07name\""), out.constData());
        QVERIFY(!out.contains('\x1b'));
        QVERIFY(!out.contains('\x07'));
    }
};

QTEST_GUILESS_MAIN(TestCliText)
#include "test_cli_text.moc"
