// Session::fitChat and fitCompletion count the prompt exactly as chat() and
// complete() evaluate it, draw the line at the context's last token, and a
// conversation they say fits is answered whole, while chat() alone still
// drops old turns from one that does not (the desktop chat's behaviour).
#include "engine_test_helpers.h"

#include <QTest>

using namespace nibble;

namespace {

constexpr int kContext = 256;

// About 12 tokens per sentence, numbered so the text does not repeat.
std::string sentences(int count, const std::string& topic) {
    std::string text;
    for (int i = 0; i < count; ++i) text += "The " + topic + " was seen on day " + std::to_string(i + 1) + ". ";
    return text;
}

// Three turns of roughly 180 tokens in all: more than half the context, so
// chat()'s own reserve for a long reply has to drop the oldest.
std::vector<ChatMessage> longConversation() {
    return {{"user", sentences(6, "heron")}, {"assistant", sentences(6, "miller")}, {"user", "Who was seen first?"}};
}

}  // namespace

class TestPromptFit : public QObject {
    Q_OBJECT

    std::shared_ptr<Model> model_;

private slots:
    void initTestCase() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        LoadOptions options;
        options.backend = BackendKind::Cpu;
        options.contextLength = kContext;
        model_ = Model::open(path, options);
    }

    void chatCountMatchesWhatChatEvaluates() {
        Session session(model_);
        const std::vector<ChatMessage> messages{{"system", "Be brief."}, {"user", "Name a colour."}};
        const PromptFit fit = session.fitChat(messages, 1);
        QCOMPARE(fit.contextLength, kContext);
        QCOMPARE(fit.contextLength, session.contextLength());
        QCOMPARE(fit.replyTokens, 1);
        QVERIFY(fit.fits());
        const GenerationResult result = session.chat(messages, test::greedy(1), {});
        QCOMPARE(fit.promptTokens, result.promptTokens);
        QCOMPARE(result.droppedMessages, 0);
    }

    void completionCountMatchesWhatCompleteEvaluates() {
        Session session(model_);
        const PromptFit fit = session.fitCompletion("Once upon a time", 4);
        const GenerationResult result = session.complete("Once upon a time", test::greedy(1), {});
        QCOMPARE(fit.promptTokens, result.promptTokens);
        QCOMPARE(fit.requestedTokens(), result.promptTokens + 4);
    }

    void lineIsDrawnAtTheLastToken() {
        Session session(model_);
        const auto messages = longConversation();
        const int prompt = session.fitChat(messages, 0).promptTokens;
        QVERIFY2(prompt > kContext / 2 && prompt < kContext, qPrintable(QString::number(prompt)));
        QVERIFY(session.fitChat(messages, kContext - prompt).fits());
        const PromptFit over = session.fitChat(messages, kContext - prompt + 1);
        QVERIFY(!over.fits());
        QCOMPARE(over.requestedTokens(), kContext + 1);
        QVERIFY(!session.fitCompletion(sentences(40, "river"), 1).fits());
    }

    void fittingConversationIsAnsweredWhole() {
        Session session(model_);
        const auto messages = longConversation();
        const int prompt = session.fitChat(messages, 0).promptTokens;
        const int reply = kContext - prompt;
        QVERIFY(session.fitChat(messages, reply).fits());
        const GenerationResult result = session.chat(messages, test::greedy(reply), {});
        QCOMPARE(result.droppedMessages, 0);
        QCOMPARE(result.promptTokens, prompt);
    }

    void chatStillDropsOldTurnsThatDoNotFit() {
        // The control: asked for more than fits, chat() keeps the newest turn
        // and drops the oldest, as the desktop chat relies on.
        Session session(model_);
        const auto messages = longConversation();
        QVERIFY(!session.fitChat(messages, kContext / 2).fits());
        const GenerationResult result = session.chat(messages, test::greedy(kContext / 2), [](std::string_view) {
            return false;  // the reply itself does not matter here
        });
        QVERIFY(result.droppedMessages > 0);
        QVERIFY(result.promptTokens < session.fitChat(messages, 0).promptTokens);
    }
};

QTEST_GUILESS_MAIN(TestPromptFit)
#include "test_prompt_fit.moc"
