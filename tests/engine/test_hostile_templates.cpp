// Chat templates are untrusted programs from the model file, run at every model
// load. Each hostile one here once crashed the app (stack overflow), spun the
// engine thread forever or exhausted memory; now each fails quickly with
// "chat template is too complex: ..." naming the limit, including on a 512 KB
// thread stack (8 MB under AddressSanitizer) and from a GGUF file, while templates nested close to the
// limits still render.
#include "chat/chat_template.h"
#include "chat/jinja_limits.h"
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "nibble/engine.h"
#include "nibble/error.h"
#include "test_models.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <pthread.h>

#include <exception>
#include <functional>
#include <string>

using namespace nibble;

namespace {

const int kMaxDepth = jinja::Limits{}.maxDepth;
// Each case takes at most a second or two on an idle machine without sanitizers
// (the step and total-bytes limits are the slowest to reach); the bound leaves
// room for a busy machine, and AddressSanitizer makes the same work several times slower.
#if defined(__SANITIZE_ADDRESS__)
constexpr qint64 kQuickMs = 60000;
#else
constexpr qint64 kQuickMs = 10000;
#endif

// The nesting limit is chosen to fit a 512 KB thread stack in a normal build,
// and the 8 MB main-thread stack with AddressSanitizer, whose redzones make the
// parser's frames several times larger.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackBytes = size_t{8} << 20;
#else
constexpr size_t kStackBytes = size_t{512} << 10;
#endif

std::string repeated(std::string_view piece, int times) {
    std::string s;
    s.reserve(piece.size() * static_cast<size_t>(times));
    for (int i = 0; i < times; ++i) s += piece;
    return s;
}

std::string nestedParens(int depth) { return "{{ " + repeated("(", depth) + "1" + repeated(")", depth) + " }}"; }
std::string nestedIfs(int depth) { return repeated("{% if true %}", depth) + "x" + repeated("{% endif %}", depth); }

// Runs `work` on a thread with a kStackBytes stack (512 KB is the smallest a
// worker thread gets on the platforms we ship); an exception from it is rethrown here.
void onSmallStack(const std::function<void()>& work) {
    struct Job {
        const std::function<void()>* work;
        std::exception_ptr error;
    } job{&work, nullptr};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kStackBytes);
    pthread_t thread;
    const int rc = pthread_create(
        &thread, &attr,
        [](void* p) -> void* {
            auto* j = static_cast<Job*>(p);
            try {
                (*j->work)();
            } catch (...) {
                j->error = std::current_exception();
            }
            return nullptr;
        },
        &job);
    pthread_attr_destroy(&attr);
    QCOMPARE(rc, 0);
    pthread_join(thread, nullptr);
    if (job.error) std::rethrow_exception(job.error);
}

// Loading the template and chatting with it fails with a too-complex error
// that contains `limit`, quickly, on a small stack.
void expectTooComplex(const std::string& source, const char* limit) {
    QElapsedTimer timer;
    timer.start();
    std::string message;
    onSmallStack([&] {
        try {
            ChatTemplate tmpl(source, "<s>", "</s>");
            tmpl.render({{"user", "Hello"}, {"assistant", "Hi"}, {"user", "Again"}}, true);
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidFile);
            message = e.what();
        }
    });
    const qint64 ms = timer.elapsed();
    qInfo("%lld ms: %s", ms, message.c_str());
    QVERIFY2(message.starts_with("chat template is too complex: "), message.c_str());
    QVERIFY2(message.find(limit) != std::string::npos, message.c_str());
    QVERIFY2(ms < kQuickMs, qPrintable(QString("took %1 ms").arg(ms)));
}

// A GGUF file holding only metadata, with `chatTemplate` as its template.
void writeTemplateOnlyGguf(const std::filesystem::path& path, const std::string& chatTemplate) {
    gguf::GgufWriter w;
    w.setString("general.architecture", "llama");
    w.setString("tokenizer.chat_template", chatTemplate);
    w.write(path);
}

// A copy of a real model whose chat template is `chatTemplate`.
void writeModelWithTemplate(const std::filesystem::path& source, const std::filesystem::path& path,
                            const std::string& chatTemplate) {
    gguf::GgufFile in(source);
    gguf::GgufWriter w;
    w.copyMetadata(in);
    w.setString("tokenizer.chat_template", chatTemplate);
    for (const auto& t : in.tensors())
        w.addTensor(std::string(t.name), t.shape, t.type, [&t] { return std::vector<uint8_t>(t.data, t.data + t.byteSize); });
    w.write(path);
}

}  // namespace

class TestHostileTemplates : public QObject {
    Q_OBJECT

private slots:
    void deepNestingFails_data() {
        QTest::addColumn<QString>("source");
        QTest::newRow("50,000 nested brackets") << QString::fromStdString(nestedParens(50000));
        QTest::newRow("50,000 nested ifs") << QString::fromStdString(nestedIfs(50000));
        QTest::newRow("300,000 chained not") << QString::fromStdString("{{ " + repeated("not ", 300000) + "true }}");
        QTest::newRow("300,000 chained filters") << QString::fromStdString("{{ 'a'" + repeated(" | upper", 300000) + " }}");
        QTest::newRow("300,000 concatenations") << QString::fromStdString("{{ 'a'" + repeated(" ~ 'a'", 300000) + " }}");
        QTest::newRow("300,000 attribute lookups") << QString::fromStdString("{{ x" + repeated(".y", 300000) + " }}");
        QTest::newRow("300,000 unary minus") << QString::fromStdString("{{ " + repeated("-", 300000) + "1 }}");
        QTest::newRow("50,000 nested lists")
            << QString::fromStdString("{{ " + repeated("[", 50000) + repeated("]", 50000) + " }}");
    }
    void deepNestingFails() {
        QFETCH(QString, source);
        expectTooComplex(source.toStdString(), ("nested more than " + std::to_string(kMaxDepth) + " levels deep").c_str());
    }

    void runawayWorkFails_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("limit");
        QTest::newRow("nested ranges") << "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
                                       << "steps";
        QTest::newRow("loop over a loop's output")
            << "{% for i in range(100000) %}{{ range(100000) | map('string') | join }}{% endfor %}" << "";
        QTest::newRow("string repetition") << "{{ 'a' * 10**11 }}" << "larger than 16 MiB";
        QTest::newRow("list repetition") << "{{ [1, 2, 3] * 10**9 }}" << "larger than 16 MiB";
        QTest::newRow("string doubling in a namespace")
            << "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
            << "larger than 16 MiB";
        QTest::newRow("string doubling with +")
            << "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"
            << "larger than 16 MiB";
        QTest::newRow("list doubling")
            << "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}"
            << "larger than 16 MiB";
        QTest::newRow("appending forever")
            << "{% set l = [] %}{% for i in range(100000) %}{% for j in range(100000) %}{{ l.append(j) }}{% endfor %}{% endfor %}"
            << "";
        QTest::newRow("join of a huge list") << "{{ (['abcdefgh' * 1000000] * 5) | join(',' * 1000000) }}" << "larger than 16 MiB";
        QTest::newRow("many large strings")
            << "{% set l = [] %}{% for i in range(1000) %}{{ l.append('a' * 16000000) }}{% endfor %}" << "256 MiB";
        QTest::newRow("output") << "{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}" << "larger than 16 MiB";
        QTest::newRow("exponential value printed")
            << "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}"
            << "";
        QTest::newRow("exponential value compared")
            << "{% set ns = namespace(a=[1], b=[1]) %}{% for i in range(64) %}{% set ns.a = [ns.a, ns.a] %}"
               "{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}"
            << "steps";
        QTest::newRow("replace blowing up") << "{{ ('a' * 100000).replace('', 'b' * 1000) }}" << "larger than 16 MiB";
        QTest::newRow("tojson indent") << "{{ [[1]] | tojson(indent=1000000000) }}" << "larger than 16 MiB";
        QTest::newRow("list holding itself") << "{% set l = [1] %}{{ l.append(l) }}{{ l }}" << "nested more than";
        QTest::newRow("value nested 100,000 deep")
            << "{% set ns = namespace(l=1) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}"
            << "nested more than";
        QTest::newRow("macro recursion") << "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}" << "macro 'f'";
    }
    void runawayWorkFails() {
        QFETCH(QString, source);
        QFETCH(QString, limit);
        expectTooComplex(source.toStdString(), limit.toStdString().c_str());
    }

    // Values that hold themselves print as far as the nesting limit allows
    // (above), and are freed when the render ends (LeakSanitizer checks it).
    void cyclesAreFreed() {
        QCOMPARE(ChatTemplate("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me }}", "", "").render({}, true),
                 std::string("<Namespace>"));
        QCOMPARE(ChatTemplate("{% set l = [] %}{% set f = l.append %}{{ f(f) }}{{ l | length }}", "", "").render({}, true),
                 std::string("None1"));
        QCOMPARE(ChatTemplate("{% macro m() %}{% set ns.c = caller %}{{ caller() }}{% endmacro %}"
                              "{% set ns = namespace() %}{% call m() %}x{% endcall %}",
                              "", "")
                     .render({}, true),
                 std::string("x"));
    }

    // What Python would compute as a big integer is an error here, never wrapped or undefined.
    void integerOverflowIsAnError() {
        for (const char* source : {"{{ 2 ** 10 ** 18 }}", "{{ 9223372036854775807 + 1 }}", "{{ -(-9223372036854775807 - 1) }}",
                                   "{{ (-9223372036854775807 - 1) // -1 }}", "{{ 3037000500 * 3037000500 }}"}) {
            ChatTemplate tmpl(source, "", "");
            try {
                tmpl.render({{"user", "x"}}, true);
                QFAIL(source);
            } catch (const Error& e) {
                QCOMPARE(std::string(e.what()), std::string("the model's chat template failed: the result is too large for an integer at line 1"));
            }
        }
        QCOMPARE(ChatTemplate("{{ (-9223372036854775807 - 1) % -1 }}", "", "").render({}, true), std::string("0"));
        QCOMPARE(ChatTemplate("{{ 1e300 | int }}", "", "").render({}, true), std::string("9223372036854775807"));
    }

    // Repeating nothing any number of times is quick, as in Python.
    void repeatingNothingIsQuick() {
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(ChatTemplate("{{ ('' * 10**18) | length }}{{ ([] * 10**18) | length }}", "", "").render({}, true),
                 std::string("00"));
        QVERIFY(timer.elapsed() < kQuickMs);
    }

    // Real templates nest far less; close to the limit everything still works, on a small stack.
    void nestingBelowTheLimitRenders() {
        const int depth = kMaxDepth - 10;
        onSmallStack([&] {
            QCOMPARE(ChatTemplate(nestedParens(depth), "", "").render({}, true), std::string("1"));
            QCOMPARE(ChatTemplate(nestedIfs(depth), "", "").render({}, true), std::string("x"));
            QCOMPARE(ChatTemplate("{{ 'a'" + repeated(" | upper", depth) + " }}", "", "").render({}, true), std::string("A"));
            const std::string nestedList =
                "{% set ns = namespace(l=1) %}{% for i in range(" + std::to_string(depth) + ") %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}";
            QCOMPARE(ChatTemplate(nestedList, "", "").render({}, true), repeated("[", depth) + "1" + repeated("]", depth));
            QCOMPARE(ChatTemplate("{% for i in range(100000) %}{% endfor %}{{ range(100000) | sum }}", "", "").render({}, true),
                     std::string("4999950000"));
        });
    }

    // A long conversation through a real model's template is nowhere near the step limit.
    void longConversationsRender() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        gguf::GgufFile file(path);
        const ChatTemplate tmpl = ChatTemplate::fromGguf(file, "<|im_start|>", "<|im_end|>");
        std::vector<ChatMessage> messages;
        for (int i = 0; i < 5000; ++i) messages.push_back({i % 2 ? "assistant" : "user", "message number " + std::to_string(i)});
        QElapsedTimer timer;
        timer.start();
        const std::string prompt = tmpl.render(messages, true);
        qInfo("5000 messages: %lld ms, %zu bytes", timer.elapsed(), prompt.size());
        QVERIFY(prompt.find("message number 4999") != std::string::npos);
    }

    void hostileTemplateInAGgufFile() {
        QTemporaryDir dir;
        const std::filesystem::path path = dir.path().toStdString() + "/hostile.gguf";
        writeTemplateOnlyGguf(path, nestedParens(50000));
        gguf::GgufFile file(path);
        QElapsedTimer timer;
        timer.start();
        try {
            ChatTemplate::fromGguf(file, "<s>", "</s>");
            QFAIL("a template nested 50,000 deep was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidFile);
            QCOMPARE(std::string(e.what()),
                     "chat template is too complex: nested more than " + std::to_string(kMaxDepth) + " levels deep at line 1");
        }
        QVERIFY(timer.elapsed() < kQuickMs);
    }

    // A model whose own template is hostile still opens, and chats in its
    // family's built-in format (its log says why), instead of crashing at every start.
    void modelWithAHostileTemplateOpens_data() {
        QTest::addColumn<QString>("source");
        QTest::newRow("nested brackets") << QString::fromStdString(nestedParens(50000));
        QTest::newRow("nested ranges") << "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
    }
    void modelWithAHostileTemplateOpens() {
        QFETCH(QString, source);
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        QTemporaryDir dir;
        const std::filesystem::path path = dir.path().toStdString() + "/hostile.gguf";
        writeModelWithTemplate(stories, path, source.toStdString());
        QElapsedTimer timer;
        timer.start();
        LoadOptions options;
        options.backend = BackendKind::Cpu;
        const auto model = Model::open(path, options);
        QVERIFY(model->info().hasChatTemplate);
        const std::string prompt = model->applyChatTemplate({{"user", "Hello"}}, true);
        QVERIFY2(prompt.find("Hello") != std::string::npos, prompt.c_str());
        QVERIFY(timer.elapsed() < kQuickMs);
        gguf::GgufFile file(path);
        QVERIFY_THROWS_EXCEPTION(Error, ChatTemplate::fromGguf(file, "<s>", "</s>"));
    }
};

QTEST_GUILESS_MAIN(TestHostileTemplates)
#include "test_hostile_templates.moc"
